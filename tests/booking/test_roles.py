"""The roles created by migration, enforced on admin pages and actions."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from booking import services
from booking.admin.confirm import selection_key
from booking.models import Card, OpeningSchedule, OutgoingMessage
from booking.roles import ROLES
from tests.agents import login_role
from tests.factories import (
    BookingFactory,
    CardFactory,
    ProcedureFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    return lambda role: login_role(client, role)


def schedule_form():
    return {
        "site": SiteFactory().pk,
        "procedure": ProcedureFactory().pk,
        "weekday": 0,
        "starts": "09:00",
        "ends": "12:00",
        "slot_minutes": 30,
        "places": 1,
        "valid_from": "01/01/2027",
        "publish_from": "08:00",
        "publish_until": "18:00",
    }


def test_the_three_roles_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "accueil",
        "instruction",
        "encadrement",
    }


def test_accueil_cannot_change_a_schedule(agent):
    client = agent("accueil")
    assert client.get("/admin/booking/openingschedule/add/").status_code == 403
    assert (
        client.post("/admin/booking/openingschedule/add/", schedule_form()).status_code
        == 403
    )
    assert not OpeningSchedule.objects.exists()


def test_encadrement_can_change_a_schedule(agent):
    client = agent("encadrement")
    response = client.post("/admin/booking/openingschedule/add/", schedule_form())
    assert response.status_code == 302
    assert OpeningSchedule.objects.count() == 1


def test_accueil_sees_cards_and_the_desk_but_cannot_mark_them_ready(agent):
    client = agent("accueil")
    card = CardFactory()
    assert client.get("/admin/booking/card/").status_code == 200
    assert client.get("/admin/booking/card/remise/").status_code == 200
    client.post(
        "/admin/booking/card/",
        {
            "action": "mark_ready",
            "_selected_action": [card.pk],
            "post": "yes",
            "selection": selection_key([card.pk]),
        },
    )
    card.refresh_from_db()
    assert card.status == Card.Status.IN_PRODUCTION
    assert not OutgoingMessage.objects.exists()
    assert client.get("/admin/booking/card/livraison/").status_code == 403


def test_instruction_marks_cards_ready_but_has_no_desk_and_no_schedules(agent):
    client = agent("instruction")
    card = CardFactory()
    client.post(
        "/admin/booking/card/",
        {
            "action": "mark_ready",
            "_selected_action": [card.pk],
            "post": "yes",
            "selection": selection_key([card.pk]),
        },
    )
    card.refresh_from_db()
    assert card.status == Card.Status.READY
    assert client.get("/admin/booking/card/remise/").status_code == 403
    assert client.get("/admin/booking/openingschedule/").status_code == 403


def test_only_encadrement_may_edit_the_faq(agent):
    assert agent("encadrement").get("/admin/faq/question/add/").status_code == 200


def test_accueil_cannot_edit_the_faq(agent):
    assert agent("accueil").get("/admin/faq/question/add/").status_code == 403


AGENT_PAGES = {
    "booking_booking_agenda": "/admin/booking/booking/agenda/",
    "booking_booking_statistics": "/admin/booking/booking/statistiques/",
    "booking_card_desk": "/admin/booking/card/remise/",
    "booking_card_delivery": "/admin/booking/card/livraison/",
    "booking_titlerecord_import": "/admin/booking/titlerecord/importer/",
}


@pytest.mark.parametrize("role", list(ROLES))
def test_the_home_links_a_page_exactly_when_the_role_may_open_it(agent, role):
    client = agent(role)
    home = client.get("/admin/").content.decode()
    for url in AGENT_PAGES.values():
        may_open = client.get(url).status_code == 200
        assert (f'href="{url}"' in home) == may_open, (role, url)


@pytest.mark.parametrize("role", list(ROLES))
def test_change_lists_link_a_page_exactly_when_the_role_may_open_it(agent, role):
    client = agent(role)
    for url in AGENT_PAGES.values():
        change_list = client.get(url.rsplit("/", 2)[0] + "/")
        if change_list.status_code != 200:
            continue
        may_open = client.get(url).status_code == 200
        assert (f'href="{url}"' in change_list.content.decode()) == may_open, (
            role,
            url,
        )


def test_encadrement_sees_and_may_open_the_delivery_list(agent):
    client = agent("encadrement")
    assert client.get("/admin/booking/card/livraison/").status_code == 200
    assert "Liste de livraison" in client.get("/admin/").content.decode()


@pytest.mark.parametrize("role", ["accueil", "instruction", "encadrement"])
def test_every_role_reads_the_events_of_what_it_may_see(agent, role):
    booking = BookingFactory()
    services.booking_flag_numero(booking_id=booking.pk, by="agent.x", note="à revoir")
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent.y", now=timezone.now())
    client = agent(role)
    booking_page = client.get(f"/admin/booking/booking/{booking.pk}/change/")
    card_page = client.get(f"/admin/booking/card/{card.pk}/change/")
    assert booking_page.status_code == card_page.status_code == 200
    # The trail is there, read-only (no form field for its rows).
    assert "agent.x" in booking_page.content.decode()
    assert "agent.y" in card_page.content.decode()
    assert 'name="events-0-actor"' not in booking_page.content.decode()
