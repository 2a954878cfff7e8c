"""An agent corrects the mobile of a ready card whose "titre disponible" SMS did not
arrive: the SMS goes to the new number, once. Before, it kept the old number, and
even the outbox's "retry" sent it there again, so the holder could never collect."""

import pytest
from django.utils import timezone

from booking import services
from booking.models import Card, OutgoingMessage
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db

INLINES = {
    f"{prefix}-{field}": 0
    for prefix in ("messages", "events")
    for field in ("TOTAL_FORMS", "INITIAL_FORMS")
}
OLD, NEW = "+33612345678", "+33781234567"


def ready_card(status: str) -> Card:
    card = CardFactory(mobile=OLD)
    services.card_mark_ready(card_ids=[card.pk], by="a", now=timezone.now())
    OutgoingMessage.objects.filter(card=card).update(status=status, attempts=3)
    return card


def change_mobile(admin_client, card: Card, mobile: str):
    return admin_client.post(
        f"/admin/booking/card/{card.pk}/change/",
        {"mobile": mobile, "language": "fr", "last_name": card.last_name,
         "first_name": card.first_name, **INLINES},
        follow=True,
    )  # fmt: skip


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_lost_sms_goes_again_to_the_corrected_number(admin_client, status):
    card = ready_card(status)
    response = change_mobile(admin_client, card, "07 81 23 45 67")
    assert "non reçu à l’ancien numéro, part vers le nouveau" in (
        response.content.decode()
    )
    message = OutgoingMessage.objects.get(card=card)
    assert (message.to, message.status) == (NEW, "pending")
    # Saved again (the name corrected too): nothing more goes.
    OutgoingMessage.objects.filter(pk=message.pk).update(status="sent")
    response = change_mobile(admin_client, card, "07 81 23 45 67")
    assert "part vers le nouveau" not in response.content.decode()
    assert OutgoingMessage.objects.get(card=card).status == "sent"


@pytest.mark.parametrize("status", ["sending", "sent", "delivered"])
def test_an_sms_already_gone_is_not_sent_again(admin_client, status):
    card = ready_card(status)
    response = change_mobile(admin_client, card, "07 81 23 45 67")
    assert "part vers le nouveau" not in response.content.decode()
    message = OutgoingMessage.objects.get(card=card)
    assert (message.to, message.status) == (OLD, status)  # as it was sent


def test_a_failed_reminder_gets_the_new_number_and_waits_for_a_retry(admin_client):
    card = ready_card("delivered")
    reminder = OutgoingMessage.objects.create(
        idempotency_key=f"card:{card.pk}:reminder:1",
        kind=OutgoingMessage.Kind.CARD_REMINDER,
        card=card,
        to=OLD,
        body="rappel",
        status="failed",
        send_after=timezone.now(),
    )
    change_mobile(admin_client, card, "07 81 23 45 67")
    reminder.refresh_from_db()
    assert (reminder.to, reminder.status) == (NEW, "failed")


def test_a_card_handed_over_meanwhile_sends_nothing(admin_client):
    card = ready_card("failed")
    Card.objects.filter(pk=card.pk).update(status=Card.Status.HANDED_OVER)
    change_mobile(admin_client, card, "07 81 23 45 67")
    assert OutgoingMessage.objects.get(card=card).status == "failed"
