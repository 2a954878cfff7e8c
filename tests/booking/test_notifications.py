"""The confirmation e-mail: an outbox row written with the booking, sent by the outbox's
worker once, retried when the mail server is down, recorded when it refuses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking import services
from booking.models import Booking, OutgoingMessage
from booking.services import notices
from booking.services.outbox import send_sms_batch
from tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db

FAILING = {"default": {"BACKEND": "tests.booking.failing_mail.Backend"}}
REFUSING = {"default": {"BACKEND": "tests.booking.failing_mail.RefusingBackend"}}
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def book(email="awa@example.org", language="fr", now=None) -> Booking:
    slot = SlotFactory()
    return services.booking_create(
        slot_id=slot.pk,
        procedure=slot.procedure,
        applicant=services.Applicant(
            numero_etranger="4500000001",
            last_name="Diallo",
            first_name="Awa",
            mobile="+33612345678",
            email=email,
            language=language,
        ),
        hold_token="t",
        now=now or timezone.now(),
    )


def email_row(booking: Booking) -> OutgoingMessage:
    return booking.messages.get(channel="email")


def test_booking_writes_its_confirmation_email_to_the_outbox_with_it():
    booking = book()
    message = email_row(booking)
    assert (message.kind, message.to, message.status) == (
        "booking_confirmed_email",
        "awa@example.org",
        "pending",
    )
    assert message.idempotency_key == f"booking:{booking.pk}:confirmation-email"
    # The SMS is there too, unchanged.
    assert booking.messages.get(channel="sms").kind == "booking_confirmed"


def test_no_email_address_no_email_row_and_nothing_sent(mailoutbox):
    booking = book(email="")
    assert list(booking.messages.values_list("channel", flat=True)) == ["sms"]
    send_sms_batch([m.pk for m in booking.messages.all()])
    notices.send_booking_confirmation(booking.pk)  # a task of the former release
    assert mailoutbox == []


def test_confirmation_email_is_sent_once_in_the_bookings_language(mailoutbox):
    booking = book(language="en")
    ids = list(booking.messages.values_list("pk", flat=True))
    send_sms_batch(ids)
    send_sms_batch(ids)  # redelivered (acks_late)
    notices.send_booking_confirmation(booking.pk)  # and a former release's task
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["awa@example.org"]
    assert booking.reference in mailoutbox[0].subject
    assert "Your appointment" in mailoutbox[0].body
    assert "/rendez-vous/gerer/" in mailoutbox[0].body
    booking.refresh_from_db()
    message = email_row(booking)
    assert (message.status, message.attempts) == ("sent", 1)
    assert booking.confirmation_email_sent_at == message.sent_at


def test_mail_server_down_the_email_waits_and_is_sent_later(mailoutbox, settings):
    settings.MAILERS = FAILING
    now = timezone.now()
    booking = book(now=now)
    message = email_row(booking)
    outcome = services.message_send(message_id=message.pk, now=now)
    assert outcome is not None and outcome.status == "pending"
    message.refresh_from_db()
    assert message.status == "pending" and message.send_after > now
    assert message.last_error == "OSError: connection refused"
    assert Booking.objects.get().confirmation_email_sent_at is None
    # Not due yet: the sweeper leaves it; once due, it goes, once.
    assert message.pk not in services.messages_sweep(now=now)
    settings.MAILERS = LOCMEM
    later = message.send_after
    assert message.pk in services.messages_sweep(now=later)
    services.message_send(message_id=message.pk, now=later)
    services.message_send(message_id=message.pk, now=later)
    assert len(mailoutbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert Booking.objects.get().confirmation_email_sent_at == later


def test_mail_server_down_past_the_retry_window_the_email_is_abandoned(settings):
    settings.MAILERS = FAILING
    now = timezone.now()
    message = email_row(book(now=now))
    later = message.created_at + timedelta(hours=settings.SMS_RETRY_WINDOW_HOURS)
    services.message_send(message_id=message.pk, now=later)
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.last_error.startswith("abandoned after 1 attempts")


def test_a_refused_recipient_is_recorded_and_not_retried(mailoutbox, settings):
    settings.MAILERS = REFUSING
    now = timezone.now()
    message = email_row(book(now=now))
    outcome = services.message_send(message_id=message.pk, now=now)
    assert outcome is not None and outcome.status == "failed"
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.last_error == "recipient refused (SMTP [550])"  # no address
    assert message.pk not in services.messages_sweep(now=now + timedelta(days=1))
    assert Booking.objects.get().confirmation_email_sent_at is None


def test_a_former_release_task_writes_the_missing_row_and_sends_it(mailoutbox):
    # Booked by the former release: no e-mail row, its task still in the broker.
    booking = BookingFactory(email="awa@example.org")
    notices.send_booking_confirmation(booking.pk)
    notices.send_booking_confirmation(booking.pk)
    assert len(mailoutbox) == 1
    assert email_row(booking).status == "sent"


def test_a_former_release_task_for_an_email_already_sent_sends_nothing(mailoutbox):
    booking = BookingFactory(
        email="awa@example.org", confirmation_email_sent_at=timezone.now()
    )
    notices.send_booking_confirmation(booking.pk)
    assert mailoutbox == []
    assert not booking.messages.exists()


def test_a_mail_server_down_does_not_delay_the_sms_of_the_same_batch(settings):
    from booking.sms import locmem

    settings.MAILERS = FAILING
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL
    now = timezone.now()
    booking = book(now=now)
    ids = sorted(booking.messages.values_list("pk", flat=True), reverse=True)
    outcomes = services.messages_send(message_ids=ids, now=now)
    assert sorted(o.status for o in outcomes) == ["pending", "sent"]
    assert len(locmem.outbox) == 1


# --- the e-mail rows beside the SMS: admin, statistics, retention, receipts -------


def test_outbox_admin_shows_the_channel_and_masks_the_address(admin_client):
    booking = book(email="awa.diallo@example.org")
    page = admin_client.get("/admin/booking/outgoingmessage/").content.decode()
    assert "a***@example.org" in page and "awa.diallo" not in page
    assert "+33612345678" not in page  # the SMS's number masked as before
    emails = admin_client.get(
        "/admin/booking/outgoingmessage/", {"channel__exact": "email"}
    )
    assert [m.kind for m in emails.context["cl"].result_list] == [
        "booking_confirmed_email"
    ]
    detail = admin_client.get(
        f"/admin/booking/outgoingmessage/{email_row(booking).pk}/change/"
    ).content.decode()
    assert "a***@example.org" in detail and "awa.diallo" not in detail


def test_retry_now_sends_a_failed_email_at_once_whatever_the_hour(
    admin_client, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.SMS_QUIET_FROM, settings.SMS_QUIET_UNTIL = (
        timezone.localtime().time(),
        (timezone.localtime() + timedelta(hours=1)).time(),
    )  # SMS are quiet now
    message = email_row(book())
    OutgoingMessage.objects.filter(pk=message.pk).update(status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/booking/outgoingmessage/",
            {"action": "retry_now", "_selected_action": [message.pk]},
        )
    message.refresh_from_db()
    assert message.status == "sent" and len(mailoutbox) == 1


def test_sms_statistics_count_sms_only():
    from booking.statistics import statistics_for

    booking = book()
    send_sms_batch([email_row(booking).pk])  # the e-mail sent, the SMS waiting
    today = timezone.localdate()
    stats = statistics_for(first_day=today, last_day=today, now=timezone.now())
    assert stats.sms["sent"] == 0 and stats.sms["waiting"] == 1


def test_retention_empties_old_email_rows_too():
    from booking.services.retention import personal_data_purge

    message = email_row(book())
    later = message.created_at + timedelta(days=31 * 7)
    personal_data_purge(now=later)
    message.refresh_from_db()
    assert message.to == ""


def test_a_receipt_never_touches_an_email_row(client, settings):
    settings.SMS_WEBHOOK_SECRET = "s3cret"
    message = email_row(book())
    OutgoingMessage.objects.filter(pk=message.pk).update(provider_id="77")
    response = client.post(
        _receipt_url(),
        {"messageId": 77, "msg_status": "hard_bounce"},
        content_type="application/json",
    )
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.status == "pending"


def _receipt_url() -> str:
    from django.urls import reverse

    return reverse("sms_receipt", kwargs={"secret": "s3cret"})
