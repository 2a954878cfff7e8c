"""An applicant's pages are never kept by a browser or a proxy (the next person at a
shared computer in a library or a point numérique must not find them with the back
button), and each answers HEAD as it answers GET (the link previews of SMS apps and
the uptime probes send HEAD)."""

import pytest
from django.test import Client

from booking.manage_links import manage_path
from booking.models import Booking
from tests.booking.flow import CONTACT, IDENTITY, hold, pass_gate, unlock_manage
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def never_kept(response) -> bool:
    cache = response.get("Cache-Control", "")
    return "no-store" in cache and "private" in cache


def test_the_booking_s_pages_are_never_kept(client, renewal, title, slot):
    hold(client, renewal, slot)
    confirmed = client.post("/rendez-vous/coordonnees/", CONTACT)
    assert confirmed["Location"] == "/rendez-vous/confirme/"
    for path in ["/rendez-vous/confirme/", "/rendez-vous/confirme/rendez-vous.ics"]:
        response = client.get(path)
        assert response.status_code == 200 and never_kept(response), path

    booking = Booking.objects.get()
    page = client.get(unlock_manage(client, booking))
    assert booking.reference in page.content.decode() and never_kept(page)


def test_a_page_that_shows_back_what_was_typed_is_never_kept(client, renewal, title):
    pass_gate(client, renewal)
    typed = IDENTITY | {"postal_code": "45100"}
    answer = client.post("/rendez-vous/identite/", typed)
    assert answer.status_code == 200 and IDENTITY["numero_etranger"] in (
        answer.content.decode()
    )
    assert never_kept(answer)


@pytest.mark.parametrize(
    "path",
    [
        "/rendez-vous/",
        "/en/rendez-vous/",
        "/rendez-vous/liste/unknown-token-0000000/",
        "/rendez-vous/offre/unknown-token-0000000/",
    ],
)
def test_head_is_answered_as_get(renewal, path):
    got = Client().get(path)
    head = Client().head(path)
    assert head.status_code == got.status_code != 405
    assert head.content == b""


def test_head_on_a_manage_link_is_answered_as_get(renewal):
    path = manage_path(BookingFactory(procedure=renewal))
    got, head = Client().get(path), Client().head(path)
    assert head.status_code == got.status_code == 200 and head.content == b""
