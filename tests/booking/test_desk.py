"""The collection desk: only people who received the SMS, Monday–Friday 9:00–12:00."""

from datetime import date, datetime

import pytest
from django.contrib.auth.models import Permission

from booking import services
from booking.errors import HandoverRefused
from booking.models import Card, CardEvent, ClosureDay, OutgoingMessage
from tests.agents import login_agent
from tests.clock import PARIS
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db

FRIDAY_10 = datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)


def ready_card(notified=True) -> Card:
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=FRIDAY_10)
    if notified:
        message = OutgoingMessage.objects.get(card=card)
        services.message_send(message_id=message.pk, now=FRIDAY_10)
    return card


def left_behind(card: Card) -> tuple[str, datetime | None, list[str]]:
    """The card's status, hand-over time and audit trail (in the order written)."""
    card.refresh_from_db()
    return (
        card.status,
        card.handed_over_at,
        [e.kind for e in card.events.order_by("pk")],
    )


NOT_HANDED_OVER = ("disponible", None, ["ready"])


def test_handover_is_recorded_in_the_window_for_a_notified_holder():
    card = ready_card()
    services.card_hand_over(card_id=card.pk, by="accueil", now=FRIDAY_10)
    assert left_behind(card) == ("remise", FRIDAY_10, ["ready", "handed_over"])
    assert card.events.get(kind="handed_over").actor == "accueil"


def test_handover_is_refused_without_sms():
    card = ready_card(notified=False)
    with pytest.raises(HandoverRefused, match="aucun SMS"):
        services.card_hand_over(card_id=card.pk, by="accueil", now=FRIDAY_10)
    assert left_behind(card) == NOT_HANDED_OVER


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 27, 8, 59, tzinfo=PARIS),
        datetime(2026, 11, 27, 12, 0, tzinfo=PARIS),
        datetime(2026, 11, 28, 10, 0, tzinfo=PARIS),  # Saturday
        datetime(2026, 12, 25, 10, 0, tzinfo=PARIS),  # Christmas, a Friday
    ],
)
def test_handover_is_refused_outside_the_window(moment):
    card = ready_card()
    with pytest.raises(HandoverRefused, match="du lundi au vendredi de 9h à 12h"):
        services.card_hand_over(card_id=card.pk, by="accueil", now=moment)
    assert left_behind(card) == NOT_HANDED_OVER


def test_handover_is_refused_on_a_closure_day():
    card = ready_card()
    ClosureDay.objects.create(site=card.site, day=date(2026, 11, 27), reason="grève")
    with pytest.raises(HandoverRefused):
        services.card_hand_over(card_id=card.pk, by="accueil", now=FRIDAY_10)
    assert left_behind(card) == NOT_HANDED_OVER


def test_supervisor_override_needs_a_reason_and_is_audited():
    card = ready_card(notified=False)
    services.card_hand_over(
        card_id=card.pk,
        by="chef",
        now=FRIDAY_10,
        override_reason="SMS non reçu, identité vérifiée",
    )
    assert left_behind(card) == ("remise", FRIDAY_10, ["ready", "override"])
    event = CardEvent.objects.get(card=card, kind="override")
    assert event.actor == "chef"
    assert event.detail["reason"] == "SMS non reçu, identité vérifiée"


def test_an_sms_still_held_never_leaves_once_the_card_is_handed_over():
    """Found by the agents' walk: a list imported at night, the card handed over by
    dérogation in the morning, and "votre titre est disponible" sent afterwards."""
    card = ready_card(notified=False)
    services.card_hand_over(
        card_id=card.pk, by="chef", now=FRIDAY_10, override_reason="identité vérifiée"
    )
    message = OutgoingMessage.objects.get(card=card)
    services.message_send(message_id=message.pk, now=FRIDAY_10)
    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.REFUSED and not message.sent_at
    assert message.last_error == "not sent: the card is no longer waiting"


def test_desk_page_finds_by_any_notation_and_records_the_handover(
    admin_client, monkeypatch
):
    card = ready_card()
    monkeypatch.setattr("booking.admin.cards.timezone.now", lambda: FRIDAY_10)
    page = admin_client.get(
        "/admin/booking/card/remise/",
        {"q": card.numero_etranger[:2] + " " + card.numero_etranger[2:]},
    )
    html = page.content.decode()
    assert card.numero_etranger in html and "envoyé" in html
    response = admin_client.post(
        "/admin/booking/card/remise/",
        {"card": card.pk, "q": "x", "hand_over": "1"},
        follow=True,
    )
    assert "Remise enregistrée" in response.content.decode()
    assert left_behind(card) == ("remise", FRIDAY_10, ["ready", "handed_over"])
    assert card.events.get(kind="handed_over").actor == "admin"


def test_desk_refusal_says_why(admin_client):
    card = ready_card(notified=False)
    response = admin_client.post(
        "/admin/booking/card/remise/", {"card": card.pk, "hand_over": "1"}, follow=True
    )
    assert "Remise refusée" in response.content.decode()
    assert left_behind(card) == NOT_HANDED_OVER


def test_an_agent_without_the_override_permission_cannot_override(
    client, django_user_model
):
    agent = django_user_model.objects.create_user(
        "accueil", password="x" * 12, is_staff=True
    )
    agent.user_permissions.add(Permission.objects.get(codename="hand_over_card"))
    login_agent(client, agent)
    card = ready_card(notified=False)
    client.post(
        "/admin/booking/card/remise/",
        {"card": card.pk, "override": "1", "reason": "je veux"},
    )
    assert left_behind(card) == NOT_HANDED_OVER


def test_unknown_numero_at_the_desk_says_so(admin_client):
    html = admin_client.get(
        "/admin/booking/card/remise/", {"q": "0000000000"}
    ).content.decode()
    assert "Aucun titre ne correspond" in html
    assert (
        admin_client.post("/admin/booking/card/remise/", {"card": "abc"}).status_code
        == 302
    )


def test_a_nul_byte_in_the_desk_search_is_not_an_error(admin_client):
    # refused at the edge (prefecture/middleware.py) with the 400 page
    assert (
        admin_client.get("/admin/booking/card/remise/", {"q": "ab\x00c"}).status_code
        == 400
    )
