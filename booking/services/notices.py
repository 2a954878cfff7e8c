"""What the applicant is told about their appointment: the SMS (confirmation, reminder,
move, cancellation), the confirmation e-mail, the manage link sent again and the
manage page's one-time code (by e-mail when the mobile is outside
SMS_ALLOWED_REGIONS), written to the outbox in the same transaction as the change,
sent by the outbox's worker. The SMS are capped against SMS pumping (per booking and
per number a day, French numbers only): one over a cap is recorded "refused" and
never sent."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from booking.manage_links import short_url
from booking.models import Booking, BookingEvent, OutgoingMessage
from booking.phone import is_in_regions, region_of
from booking.selectors import appointment_sms_today
from booking.services.locks import advisory_lock
from booking.services.outbox import (
    enqueue_after_commit,
    first_sending_time,
    message_send,
)
from booking.sms import texts

Kind = OutgoingMessage.Kind
Status = OutgoingMessage.Status


def short_manage_url(booking: Booking) -> str:
    # Short enough for one SMS; it carries the booking's own random secret (never its
    # reference), and the page behind it still asks for the second factor. In the
    # booking's language: /en/rdv/<token>/ in English.
    return short_url(booking)


def _sent_today(
    *, booking: Booking, kinds: tuple[OutgoingMessage.Kind, ...], now: datetime
) -> int:
    day_start = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return booking.messages.filter(kind__in=kinds, created_at__gte=day_start).count()


@dataclass(frozen=True)
class Sent:
    """Where a message the applicant (or an agent) asked for went: its ``channel``
    ("sms" or "email") and address ``to``. Nothing was written when ``channel`` is
    empty (falsy): the day's limit was reached or the booking is no longer active,
    or, ``unreachable``, its mobile is outside SMS_ALLOWED_REGIONS and it has no
    e-mail address (the front desk is the way)."""

    channel: str = ""
    to: str = ""
    unreachable: bool = False

    def __bool__(self) -> bool:
        return bool(self.channel)


def booking_route(booking: Booking) -> Sent:
    """The way to the booking's holder for the manage link and the one-time code:
    SMS to a mobile in SMS_ALLOWED_REGIONS, else e-mail to the booking's address
    (the contact form asks for one with a foreign mobile), else none."""
    if is_in_regions(booking.mobile, settings.SMS_ALLOWED_REGIONS):
        return Sent(OutgoingMessage.Channel.SMS, booking.mobile)
    if booking.email:
        return Sent(OutgoingMessage.Channel.EMAIL, booking.email)
    return Sent(unreachable=True)


def _limited_write(
    *,
    booking_id: int,
    kinds: tuple[OutgoingMessage.Kind, OutgoingMessage.Kind],
    limit: int,
    sms_body,
    email_body: str = "",
    now: datetime,
) -> tuple[Booking | None, Sent]:
    """Writes one more message of this kind for the booking today, by SMS (the first
    of ``kinds``) or by e-mail (the second, rendered when sent; ``email_body`` is
    all the row keeps) as booking_route says, unless ``limit`` of either are
    already written (the booking's row locked, so two requests cannot both pass;
    the day's numbered key is the backstop). Never an SMS outside
    SMS_ALLOWED_REGIONS."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update()
            .select_related("slot__site")
            .get(pk=booking_id)
        )
        if booking.status != Booking.Status.CONFIRMED:
            return None, Sent()
        route = booking_route(booking)
        if not route:
            return None, route
        count = _sent_today(booking=booking, kinds=kinds, now=now)
        if count >= limit:
            return None, Sent()
        sms_kind, email_kind = kinds
        kind = sms_kind if route.channel == OutgoingMessage.Channel.SMS else email_kind
        day = timezone.localtime(now).strftime("%Y%m%d")
        try:
            with transaction.atomic():
                message = OutgoingMessage.objects.create(
                    idempotency_key=f"booking:{booking.pk}:{kind}:{day}:{count + 1}",
                    kind=kind,
                    channel=route.channel,
                    booking=booking,
                    to=route.to,
                    # texts keep an SMS to one segment
                    body=sms_body(booking) if kind == sms_kind else email_body,
                    send_after=now,
                )
        except IntegrityError:
            return None, Sent()
        enqueue_after_commit([message.pk])
    return booking, route


def booking_link_resend(*, booking_id: int, now: datetime, by: str = "") -> Sent:
    """Sends the manage link again to the booking's own mobile, or to its e-mail
    address when the mobile is outside SMS_ALLOWED_REGIONS (never to an address the
    caller gives), at most BOOKING_LINK_RESENDS_PER_DAY times a day for the applicant
    and BOOKING_LINK_RESENDS_PER_DAY_AGENT for agents (``by``, recorded in the
    booking's trail). Where it went; falsy when nothing was written (over the limit,
    the booking no longer active, or no way to reach its holder)."""
    limit = (
        settings.BOOKING_LINK_RESENDS_PER_DAY_AGENT
        if by
        else settings.BOOKING_LINK_RESENDS_PER_DAY
    )
    with transaction.atomic():
        booking, sent = _limited_write(
            booking_id=booking_id,
            kinds=(Kind.BOOKING_LINK_RESENT, Kind.BOOKING_LINK_RESENT_EMAIL),
            limit=limit,
            sms_body=lambda b: texts.booking_link_resent(
                booking=b, url=short_manage_url(b)
            ),
            now=now,
        )
        if booking is not None and by:
            BookingEvent.objects.create(
                booking=booking, kind=BookingEvent.Kind.LINK_RESENT, actor=by
            )
    return sent


def booking_manage_code_notice(*, booking_id: int, code: str, now: datetime) -> Sent:
    """Sends the one-time code of the manage page to the booking's mobile, or to its
    e-mail address when the mobile is outside SMS_ALLOWED_REGIONS, at most
    BOOKING_MANAGE_CODES_PER_DAY times a day. Where it went; falsy when nothing was
    written (see booking_link_resend)."""
    _, sent = _limited_write(
        booking_id=booking_id,
        kinds=(Kind.BOOKING_MANAGE_CODE, Kind.BOOKING_MANAGE_CODE_EMAIL),
        limit=settings.BOOKING_MANAGE_CODES_PER_DAY,
        sms_body=lambda b: texts.booking_manage_code(
            booking=b, code=code, minutes=settings.BOOKING_MANAGE_CODE_MINUTES
        ),
        # The e-mail is rendered when sent: its row keeps the code, as the SMS's does.
        email_body=code,
        now=now,
    )
    return sent


def booking_notice(
    *,
    booking: Booking,
    kind: OutgoingMessage.Kind,
    key: str,
    now: datetime,
    agent_message: str = "",
) -> None:
    """Writes one appointment SMS (inside the caller's transaction), enqueued after
    commit; a second call with the same key writes nothing; one over a cap is
    recorded refused, and not enqueued. ``agent_message`` goes in a cancellation
    only, when it fits its one segment."""
    message = _sms_write(
        booking=booking, kind=kind, key=key, now=now, agent_message=agent_message
    )
    if message is not None and message.send_after <= now:
        enqueue_after_commit([message.pk])


def booking_moved_notices(*, booking: Booking, now: datetime) -> None:
    """The moved appointment's SMS, and its e-mail when the applicant gave an
    address (the new time, the manage link; rendered when sent), one of each per
    move; enqueued after commit."""
    key = f"booking:{booking.pk}:moved:{booking.slot_id}"
    sms = _sms_write(booking=booking, kind=Kind.BOOKING_MOVED, key=key, now=now)
    email = _email_write(
        booking=booking, kind=Kind.BOOKING_MOVED_EMAIL, key=f"{key}:email", now=now
    )
    due = [m.pk for m in (sms, email) if m is not None and m.send_after <= now]
    if due:
        enqueue_after_commit(due)


def booking_confirmation_notices(
    *, booking: Booking, now: datetime, sent_to_mobile: int | None = None
) -> None:
    """Writes the confirmation SMS of a booking inserted in the caller's transaction
    (capped as every appointment SMS), and its confirmation e-mail when the
    applicant gave an address; both are enqueued after commit in one task, so the
    applicant waits for one publish. ``sent_to_mobile``: the appointment SMS its
    mobile got today, when the caller read it holding the number's lock."""
    rows = booking_confirmation_rows(
        booking=booking, now=now, sent_to_mobile=sent_to_mobile
    )
    OutgoingMessage.objects.bulk_create(rows)
    confirmation_enqueue(rows, now=now)


def confirmation_enqueue(rows: list[OutgoingMessage], *, now: datetime) -> None:
    """After the commit, the send of those of ``rows`` (written) due now."""
    due = [m.pk for m in rows if m.status == Status.PENDING and m.send_after <= now]
    if due:
        enqueue_after_commit(due)


def booking_confirmation_rows(
    *, booking: Booking, now: datetime, sent_to_mobile: int | None = None
) -> list[OutgoingMessage]:
    """The outbox rows of booking_confirmation_notices, not written yet (the caller
    writes them, then calls confirmation_enqueue)."""
    # The booking is new: no message of it can exist yet (the keys are its own) and
    # no other transaction sees its row, so neither get_or_create's read and
    # savepoints nor the booking row's lock are needed: one INSERT for both rows.
    # The number's lock is: the cap per number counts across bookings.
    if sent_to_mobile is None:
        advisory_lock("sms-to", booking.mobile)
    refusal = _sms_refusal(booking=booking, now=now, sent_to_mobile=sent_to_mobile)
    rows = [
        OutgoingMessage(
            idempotency_key=f"booking:{booking.pk}:confirmed",
            kind=Kind.BOOKING_CONFIRMED,
            booking=booking,
            to=booking.mobile,
            # one segment, link whole: texts builds it so
            body=texts.booking_confirmed(
                booking=booking, url=short_manage_url(booking)
            ),
            send_after=first_sending_time(now),
            status=Status.REFUSED if refusal else Status.PENDING,
            last_error=refusal,
        )
    ]
    if booking.email:  # rendered when sent (services.emails)
        rows.append(
            OutgoingMessage(
                idempotency_key=CONFIRMATION_EMAIL_KEY % booking.pk,
                kind=Kind.BOOKING_CONFIRMED_EMAIL,
                channel=OutgoingMessage.Channel.EMAIL,
                booking=booking,
                to=booking.email,
                send_after=now,
            )
        )
    return rows


def _sms_write(
    *,
    booking: Booking,
    kind: OutgoingMessage.Kind,
    key: str,
    now: datetime,
    agent_message: str = "",
) -> OutgoingMessage | None:
    """The SMS's outbox row; None when there is nothing to send: the key was already
    written, or the message is recorded refused (see _sms_refusal)."""
    if kind == Kind.BOOKING_CANCELLED:
        body = texts.booking_cancelled(booking=booking, message=agent_message)
    else:
        render = {
            Kind.BOOKING_CONFIRMED: texts.booking_confirmed,
            Kind.BOOKING_REMINDER: texts.booking_reminder,
            Kind.BOOKING_MOVED: texts.booking_moved,
        }[kind]
        body = render(booking=booking, url=short_manage_url(booking))
    with transaction.atomic():
        _lock_recipients(booking)
        refusal = _sms_refusal(booking=booking, now=now)
        message, created = OutgoingMessage.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "kind": kind,
                "booking": booking,
                "to": booking.mobile,
                "body": body,  # one segment, link whole: texts builds it so
                "send_after": first_sending_time(now),
                "status": Status.REFUSED if refusal else Status.PENDING,
                "last_error": refusal,
            },
        )
    return message if created and message.status == Status.PENDING else None


def _lock_recipients(booking: Booking) -> None:
    """Locks the booking's row, then its mobile number, to the end of the transaction:
    the writers of SMS for one booking, or for one number across bookings, count and
    write one after the other. (The number's lock is PostgreSQL's advisory lock; on
    the SQLite of development, the caps can be passed by concurrent writers.)"""
    list(Booking.objects.select_for_update().filter(pk=booking.pk).values_list("pk"))
    advisory_lock("sms-to", booking.mobile)


def _sms_refusal(
    *, booking: Booking, now: datetime, sent_to_mobile: int | None = None
) -> str:
    """Why an appointment SMS for ``booking`` must not be sent (for the agents' outbox
    list; no personal data), or "" to send it: a number outside SMS_ALLOWED_REGIONS,
    or the day's (TIME_ZONE) SMS_PER_BOOKING_PER_DAY or SMS_PER_MOBILE_PER_DAY already
    written. Refused messages count toward neither cap. A booking just inserted
    passes ``sent_to_mobile``, read with its other checks (it has no SMS yet)."""
    if not is_in_regions(booking.mobile, settings.SMS_ALLOWED_REGIONS):
        region = region_of(booking.mobile) or "unknown"
        return f"not sent: region {region} outside SMS_ALLOWED_REGIONS"
    if sent_to_mobile is None:
        # Both caps counted in one query.
        counts = (
            appointment_sms_today(now)
            .filter(Q(booking=booking) | Q(to=booking.mobile))
            .aggregate(
                booking=Count("pk", filter=Q(booking=booking)),
                mobile=Count("pk", filter=Q(to=booking.mobile)),
            )
        )
    else:
        counts = {"booking": 0, "mobile": sent_to_mobile}
    cap = settings.SMS_PER_BOOKING_PER_DAY
    if counts["booking"] >= cap:
        return f"not sent: {cap} SMS for this booking today (SMS_PER_BOOKING_PER_DAY)"
    cap = settings.SMS_PER_MOBILE_PER_DAY
    if counts["mobile"] >= cap:
        return f"not sent: {cap} SMS to this number today (SMS_PER_MOBILE_PER_DAY)"
    return ""


CONFIRMATION_EMAIL_KEY = "booking:%d:confirmation-email"


def _confirmation_email_write(
    *, booking: Booking, now: datetime
) -> OutgoingMessage | None:
    """The confirmation e-mail's outbox row (see _email_write)."""
    return _email_write(
        booking=booking,
        kind=Kind.BOOKING_CONFIRMED_EMAIL,
        key=CONFIRMATION_EMAIL_KEY % booking.pk,
        now=now,
    )


def _email_write(
    *, booking: Booking, kind: str, key: str, now: datetime
) -> OutgoingMessage | None:
    """One e-mail's outbox row (rendered when sent, services.emails); None without
    an address or when ``key`` was already written."""
    if not booking.email:
        return None
    message, created = OutgoingMessage.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "kind": kind,
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
