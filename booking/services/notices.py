"""What the applicant is told about their appointment: the SMS (confirmation, reminder,
move, cancellation), written to the outbox in the same transaction as the change, one
per (booking, kind); and the confirmation e-mail."""

from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from booking.manage_links import manage_path
from booking.models import Booking, OutgoingMessage
from booking.services.outbox import enqueue_after_commit, first_sending_time
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
            "body": body[:160],
            "send_after": first_sending_time(now),
        },
    )
    if created and message.send_after <= now:
        enqueue_after_commit([message.pk])


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


def booking_confirmed(*, booking_id: int) -> None:
    """Sends the confirmation e-mail at most once, and again only if sending failed."""
    claimed = (
        Booking.objects.filter(pk=booking_id, confirmation_email_sent_at__isnull=True)
        .exclude(email="")
        .update(confirmation_email_sent_at=timezone.now())
    )
    if not claimed:
        return
    booking = Booking.objects.select_related("slot__site", "procedure").get(
        pk=booking_id
    )
    try:
        with translation.override(booking.language):
            context = {
                "booking": booking,
                "manage_url": settings.PUBLIC_BASE_URL + manage_path(booking),
            }
            subject = render_to_string(
                "booking/email/confirmation_subject.txt", context
            )
            body = render_to_string("booking/email/confirmation.txt", context)
        send_mail(" ".join(subject.split()), body, None, [booking.email])
    except Exception:
        # Release the claim so that the task's retry sends it.
        Booking.objects.filter(pk=booking_id).update(confirmation_email_sent_at=None)
        raise


@shared_task(
    name="booking.tasks.send_booking_confirmation",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=8,
)
def send_booking_confirmation(booking_id: int) -> None:
    """Tells the applicant their appointment is booked (e-mail)."""
    booking_confirmed(booking_id=booking_id)
