"""What the applicant is told about their appointment: the SMS (confirmation, reminder,
move, cancellation) and the confirmation e-mail, written to the outbox in the same
transaction as the change, one per (booking, kind), sent by the outbox's worker."""

from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, OutgoingMessage
from booking.services.outbox import (
    enqueue_after_commit,
    first_sending_time,
    message_send,
)
from booking.sms import texts

Kind = OutgoingMessage.Kind


def short_manage_url(booking: Booking) -> str:
    # Short enough for one SMS; the page behind it asks for the second factor.
    return settings.PUBLIC_BASE_URL + reverse(
        "booking_short_link", kwargs={"reference": booking.reference}
    )


def booking_notice(
    *, booking: Booking, kind: OutgoingMessage.Kind, key: str, now: datetime
) -> None:
    """Writes one appointment SMS (inside the caller's transaction), enqueued after
    commit; a second call with the same key writes nothing."""
    message = _sms_write(booking=booking, kind=kind, key=key, now=now)
    if message is not None and message.send_after <= now:
        enqueue_after_commit([message.pk])


def booking_confirmation_notices(*, booking: Booking, now: datetime) -> None:
    """Writes the new booking's confirmation SMS, and its confirmation e-mail when
    the applicant gave an address (inside the caller's transaction); both are
    enqueued after commit in one task, so the applicant waits for one publish."""
    sms = _sms_write(
        booking=booking,
        kind=Kind.BOOKING_CONFIRMED,
        key=f"booking:{booking.pk}:confirmed",
        now=now,
    )
    email = _confirmation_email_write(booking=booking, now=now)
    due = [m.pk for m in (sms, email) if m is not None and m.send_after <= now]
    if due:
        enqueue_after_commit(due)


def _sms_write(
    *, booking: Booking, kind: OutgoingMessage.Kind, key: str, now: datetime
) -> OutgoingMessage | None:
    """The SMS's outbox row; None when the key was already written."""
    if kind == Kind.BOOKING_CANCELLED:
        body = texts.booking_cancelled(booking=booking)
    else:
        render = {
            Kind.BOOKING_CONFIRMED: texts.booking_confirmed,
            Kind.BOOKING_REMINDER: texts.booking_reminder,
            Kind.BOOKING_MOVED: texts.booking_moved,
        }[kind]
        body = render(booking=booking, url=short_manage_url(booking))
    message, created = OutgoingMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "kind": kind,
            "booking": booking,
            "to": booking.mobile,
            "body": body,  # one segment, link whole: texts builds it so
            "send_after": first_sending_time(now),
        },
    )
    return message if created else None


def _confirmation_email_write(
    *, booking: Booking, now: datetime
) -> OutgoingMessage | None:
    """The confirmation e-mail's outbox row (rendered when sent); None without an
    address or when it was already written."""
    if not booking.email:
        return None
    message, created = OutgoingMessage.objects.get_or_create(
        idempotency_key=f"booking:{booking.pk}:confirmation-email",
        defaults={
            "kind": Kind.BOOKING_CONFIRMED_EMAIL,
            "channel": OutgoingMessage.Channel.EMAIL,
            "booking": booking,
            "to": booking.email,
            "send_after": now,
        },
    )
    return message if created else None


def bookings_remind(*, now: datetime) -> int:
    """One reminder for each appointment in the next 48 hours that was booked more
    than 48 hours before it (the others have just had their confirmation)."""
    window = timedelta(hours=48)
    reminded = OutgoingMessage.objects.filter(
        booking=OuterRef("pk"), kind=Kind.BOOKING_REMINDER
    )
    due = (
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            slot__starts_at__gt=now,
            slot__starts_at__lte=now + window,
        )
        .exclude(Exists(reminded))
        .select_related("slot__site")
    )
    count = 0
    for booking in due:
        if booking.slot.starts_at - booking.created_at <= window:
            continue
        booking_notice(
            booking=booking,
            kind=Kind.BOOKING_REMINDER,
            key=f"booking:{booking.pk}:reminder",
            now=now,
        )
        count += 1
    return count


def booking_confirmation_email_send(*, booking_id: int, now: datetime) -> None:
    """For the tasks queued before the e-mail joined the outbox: writes the booking's
    confirmation e-mail row if it is missing and sends it now. Sends nothing twice:
    not if the e-mail was already sent (by either release), not if the row is
    pending for later or in another worker's hands."""
    booking = Booking.objects.filter(
        pk=booking_id, confirmation_email_sent_at__isnull=True
    ).first()
    if booking is None:
        return
    _confirmation_email_write(booking=booking, now=now)
    message = booking.messages.filter(kind=Kind.BOOKING_CONFIRMED_EMAIL).first()
    if message is not None:
        message_send(message_id=message.pk, now=now)


@shared_task(name="booking.tasks.send_booking_confirmation", acks_late=True)
def send_booking_confirmation(booking_id: int) -> None:
    """Consumes the confirmation tasks of the former release (the e-mail now goes
    through the outbox: its retries are the outbox's)."""
    booking_confirmation_email_send(booking_id=booking_id, now=timezone.now())
