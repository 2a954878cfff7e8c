"""Bulk actions that text people ask first, name what they will change, and change
exactly that: "Marquer disponibles" and "Annuler les rendez-vous sélectionnés"."""

from html.parser import HTMLParser

import pytest

from booking.models import Booking, Card, OutgoingMessage
from tests.factories import BookingFactory, CardFactory, SiteFactory

pytestmark = pytest.mark.django_db

CARDS = "/admin/booking/card/"
BOOKINGS = "/admin/booking/booking/"


class ConfirmForm(HTMLParser):
    """The hidden fields of the page's confirmation form, as a browser sends them."""

    def __init__(self, html: str):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields.append((attrs["name"], attrs.get("value") or ""))

    def data(self) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            if name != "csrfmiddlewaretoken":
                data.setdefault(name, []).append(value)
        return data


def test_marking_cards_ready_names_them_first_and_sends_nothing_yet(admin_client):
    waiting = CardFactory.create_batch(2, last_name="Okafor")
    done = CardFactory(status=Card.Status.HANDED_OVER, last_name="Remis")
    chosen = {
        "action": "mark_ready",
        "_selected_action": [c.pk for c in [*waiting, done]],
    }

    asked = admin_client.post(CARDS, chosen)

    page = asked.content.decode()
    assert asked.status_code == 200 and "Marquer ces titres disponibles ?" in page
    for card in waiting:
        assert card.numero_etranger in page
    assert done.numero_etranger not in page
    assert "1 titre choisi n’est plus en production" in page
    assert "Oui, marquer les 2 titres disponibles et envoyer les SMS" in page
    assert not OutgoingMessage.objects.exists()
    assert Card.objects.filter(status=Card.Status.READY).count() == 0

    confirmed = admin_client.post(CARDS, ConfirmForm(page).data(), follow=True)

    assert (
        "2 titres marqués disponibles : leurs SMS partent."
        in confirmed.content.decode()
    )
    assert Card.objects.filter(status=Card.Status.READY).count() == 2
    assert OutgoingMessage.objects.count() == 2


def test_a_selection_changed_since_the_page_is_asked_again(admin_client):
    """A colleague marked one of the cards meanwhile: the page named two, one is
    left; nothing is sent until the agent has seen what is left."""
    first, second = CardFactory.create_batch(2)
    page = admin_client.post(
        CARDS, {"action": "mark_ready", "_selected_action": [first.pk, second.pk]}
    ).content.decode()
    Card.objects.filter(pk=first.pk).update(status=Card.Status.READY)

    again = admin_client.post(CARDS, ConfirmForm(page).data()).content.decode()

    assert "La sélection a changé depuis votre choix" in again
    assert "Oui, marquer ce titre disponible et envoyer le SMS" in again
    assert not OutgoingMessage.objects.exists()
    admin_client.post(CARDS, ConfirmForm(again).data())
    assert list(OutgoingMessage.objects.values_list("card", flat=True)) == [second.pk]


def test_select_all_of_thousands_is_carried_as_the_list_filter_not_row_by_row(
    admin_client,
):
    """1,200 cards of one site "all selected" on the filtered list: the page names
    50 and counts the rest, and its form stays under Django's 1,000 fields."""
    orleans, montargis = SiteFactory(), SiteFactory()
    Card.objects.bulk_create(
        Card(
            numero_etranger=f"47{n:08d}",
            last_name="Martin",
            first_name="Léa",
            mobile="+33612345678",
            site=orleans,
        )
        for n in range(1200)
    )
    elsewhere = CardFactory(site=montargis)
    listed = f"{CARDS}?site__id__exact={orleans.pk}"
    on_page = list(
        Card.objects.filter(site=orleans).order_by("-pk").values_list("pk", flat=True)
    )[:100]
    chosen = {"action": "mark_ready", "select_across": "1", "_selected_action": on_page}

    page = admin_client.post(listed, chosen).content.decode()

    assert "… et 1150 autres." in page
    assert len(ConfirmForm(page).fields) < 1000
    response = admin_client.post(listed, ConfirmForm(page).data(), follow=True)
    assert response.status_code == 200
    assert "1200 titres marqués disponibles" in response.content.decode()
    assert OutgoingMessage.objects.count() == 1200
    elsewhere.refresh_from_db()
    assert elsewhere.status == Card.Status.IN_PRODUCTION


def test_nothing_in_production_among_the_chosen_says_so_at_once(admin_client):
    card = CardFactory(status=Card.Status.READY)
    response = admin_client.post(
        CARDS, {"action": "mark_ready", "_selected_action": [card.pk]}, follow=True
    )
    assert "Aucun titre en production parmi ceux choisis" in response.content.decode()
    assert not OutgoingMessage.objects.exists()


def test_cancelling_a_selection_changed_since_the_page_cancels_nothing(admin_client):
    kept, other = BookingFactory.create_batch(2)
    page = admin_client.post(
        BOOKINGS, {"action": "cancel_bookings", "_selected_action": [kept.pk, other.pk]}
    ).content.decode()
    assert "Oui, annuler les 2 rendez-vous et prévenir les usagers" in page
    Booking.objects.filter(pk=other.pk).update(status=Booking.Status.CANCELLED)

    again = admin_client.post(BOOKINGS, ConfirmForm(page).data()).content.decode()

    assert "La sélection a changé depuis votre choix" in again
    kept.refresh_from_db()
    assert kept.status == Booking.Status.CONFIRMED and not kept.messages.exists()
