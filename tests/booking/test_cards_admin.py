import pytest

from booking.models import Card, OutgoingMessage
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db


def test_agent_marks_cards_ready_in_one_action_and_sees_the_messages(admin_client):
    cards = CardFactory.create_batch(3)
    response = admin_client.post(
        "/admin/booking/card/",
        {"action": "mark_ready", "_selected_action": [c.pk for c in cards]},
        follow=True,
    )
    assert "3 titres marqués disponibles" in response.content.decode()
    assert Card.objects.filter(status="disponible").count() == 3
    assert OutgoingMessage.objects.count() == 3
    page = admin_client.get("/admin/booking/outgoingmessage/").content.decode()
    assert "+33" in page and "+33612345678" not in page  # numbers masked


def test_marking_ready_twice_warns_and_sends_nothing(admin_client):
    card = CardFactory()
    for _ in range(2):
        response = admin_client.post(
            "/admin/booking/card/",
            {"action": "mark_ready", "_selected_action": [card.pk]},
            follow=True,
        )
    assert "n’était plus en production" in response.content.decode()
    assert OutgoingMessage.objects.count() == 1


def test_retry_now_requeues_failed_messages_only(admin_client):
    card = CardFactory()
    admin_client.post(
        "/admin/booking/card/", {"action": "mark_ready", "_selected_action": [card.pk]}
    )
    message = OutgoingMessage.objects.get()
    OutgoingMessage.objects.filter(pk=message.pk).update(status="failed")
    admin_client.post(
        "/admin/booking/outgoingmessage/",
        {"action": "retry_now", "_selected_action": [message.pk]},
    )
    message.refresh_from_db()
    assert message.status in ("pending", "sent")
