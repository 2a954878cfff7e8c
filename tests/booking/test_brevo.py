"""The Brevo backend over real HTTP against a local server speaking its API."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from booking import services
from booking.models import OutgoingMessage
from booking.sms import Sms, SmsPermanentError, SmsTransientError
from booking.sms.brevo import BrevoBackend
from tests.booking.fake_brevo import use_fake_brevo
from tests.clock import PARIS
from tests.factories import CardFactory

MORNING = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
SMS = Sms(
    reference="card:1:ready", to="+33612345678", body="Bonjour", kind="card_ready"
)


@pytest.fixture
def brevo(httpserver, settings):
    return use_fake_brevo(settings, httpserver)


def test_send_speaks_the_documented_request(brevo):
    sent = BrevoBackend().send(SMS)
    [body] = brevo.received
    assert body["recipient"] == "33612345678"
    assert body["sender"] == "PREF45" and body["content"] == "Bonjour"
    assert body["type"] == "transactional"
    assert "card:1:ready" in body["tag"]
    assert body["webUrl"].endswith("/sms/recus/s3cret-receipts/")
    assert sent.provider_id == "1511882900176220"


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (
            400,
            {"code": "invalid_parameter", "message": "Invalid recipient"},
            SmsPermanentError,
        ),
        (
            402,
            {"code": "not_enough_credits", "message": "Not enough credits"},
            SmsPermanentError,
        ),
        (
            429,
            {"code": "too_many_requests", "message": "Rate limit"},
            SmsTransientError,
        ),
        (500, {"code": "internal", "message": "oops"}, SmsTransientError),
        (503, {"code": "unavailable", "message": "later"}, SmsTransientError),
    ],
)
def test_errors_are_classified(brevo, status, error, kind):
    brevo.script.append((status, error))
    with pytest.raises(kind) as raised:
        BrevoBackend().send(SMS)
    assert str(status) in str(raised.value)


def test_wrong_api_key_is_a_permanent_failure(brevo, settings):
    settings.BREVO_API_KEY = "wrong"
    with pytest.raises(SmsPermanentError, match="unauthorized"):
        BrevoBackend().send(SMS)


def test_unreachable_provider_is_transient(settings):
    settings.BREVO_API_URL = "http://127.0.0.1:1/v3/transactionalSMS/send"
    with pytest.raises(SmsTransientError):
        BrevoBackend().send(SMS)


@pytest.mark.django_db
def test_500_500_then_200_gives_one_message_three_attempts(brevo):
    brevo.script += [
        (500, {"code": "x", "message": "a"}),
        (500, {"code": "x", "message": "b"}),
    ]
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=MORNING)
    message = OutgoingMessage.objects.get()
    now = MORNING
    for _ in range(3):
        services.message_send(message_id=message.pk, now=now)
        message.refresh_from_db()
        now = max(now, message.send_after) + timedelta(seconds=1)
    assert message.status == "sent" and message.attempts == 3
    assert len(brevo.received) == 1


@pytest.mark.django_db
def test_400_invalid_number_fails_once_and_is_shown_to_agents(brevo, admin_client):
    brevo.script.append(
        (400, {"code": "invalid_parameter", "message": "Invalid recipient"})
    )
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=MORNING)
    message = OutgoingMessage.objects.get()
    services.message_send(message_id=message.pk, now=MORNING)
    assert services.messages_sweep(now=MORNING + timedelta(hours=2)) == []
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 1
    assert "Invalid recipient" in message.last_error
    page = admin_client.get(
        "/admin/booking/outgoingmessage/", {"status__exact": "failed"}
    )
    assert "Invalid recipient" in page.content.decode()


# --- delivery receipts -------------------------------------------------------------


@pytest.fixture
def sent_message(brevo, db):
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=MORNING)
    message = OutgoingMessage.objects.get()
    services.message_send(message_id=message.pk, now=MORNING)
    message.refresh_from_db()
    return message


def receipt(client, message_id, status, secret="s3cret-receipts"):
    url = reverse("sms_receipt", kwargs={"secret": secret})
    body = {"id": 26570, "to": "33612345678", "messageId": message_id, "msg_status": status,
            "date": "2026-11-26 10:00:05", "type": "transactional", "reference": "r"}  # fmt: skip
    return client.post(url, body, content_type="application/json")


def test_delivered_receipt_marks_the_message_delivered(client, sent_message):
    response = receipt(client, int(sent_message.provider_id), "delivered")
    assert response.status_code == 200
    sent_message.refresh_from_db()
    assert sent_message.status == "delivered" and sent_message.delivered_at


def test_receipts_twice_or_out_of_order_change_nothing_more(client, sent_message):
    receipt(client, int(sent_message.provider_id), "delivered")
    sent_message.refresh_from_db()
    delivered_at = sent_message.delivered_at
    for late in ("delivered", "sent", "soft_bounce"):
        assert receipt(client, int(sent_message.provider_id), late).status_code == 200
    sent_message.refresh_from_db()
    assert (
        sent_message.status == "delivered" and sent_message.delivered_at == delivered_at
    )


def test_hard_bounce_marks_undelivered(client, sent_message):
    receipt(client, int(sent_message.provider_id), "hard_bounce")
    sent_message.refresh_from_db()
    assert (
        sent_message.status == "undelivered"
        and "hard_bounce" in sent_message.last_error
    )


def test_forged_receipts_are_refused_and_change_nothing(client, sent_message):
    assert (
        receipt(client, int(sent_message.provider_id), "delivered", "guess").status_code
        == 403
    )
    url = reverse("sms_receipt", kwargs={"secret": "s3cret-receipts"})
    assert (
        client.post(url, "not json", content_type="application/json").status_code == 400
    )
    assert (
        client.post(url, {"messageId": 1}, content_type="application/json").status_code
        == 400
    )
    assert receipt(client, 999, "delivered").status_code == 404
    assert client.get(url).status_code == 405
    sent_message.refresh_from_db()
    assert sent_message.status == "sent"


def test_bearer_token_is_accepted_too(client, sent_message):
    url = reverse("sms_receipt", kwargs={"secret": "-"})
    response = client.post(
        url,
        {"messageId": int(sent_message.provider_id), "msg_status": "delivered"},
        content_type="application/json",
        headers={"Authorization": "Bearer s3cret-receipts"},
    )
    assert response.status_code == 200


def test_receipts_are_off_without_a_secret(client, sent_message, settings):
    settings.SMS_WEBHOOK_SECRET = ""
    response = receipt(client, int(sent_message.provider_id), "delivered", "anything")
    assert response.status_code == 403
