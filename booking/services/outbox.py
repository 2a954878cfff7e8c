"""The outbox (SMS, and the confirmation e-mail): claim, send outside any transaction,
record; sweep what was lost; apply the provider's delivery receipts. The worker tasks
that send live here, beside the writes that enqueue them (their registered names are
those of the former ``booking.tasks`` module, so messages already in the broker are
still consumed). Every publish goes through ``publish``: a broker that cannot be
reached never turns a committed write into an error, the sweeper sends later."""

import itertools
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from celery import Task, shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from kombu.exceptions import KombuError

from booking import rules
from booking.models import Booking, Card, OutgoingMessage, WaitingOffer
from booking.services.emails import (
    EmailPermanentError,
    EmailTransientError,
    booking_email_send,
    waiting_email_send,
)
from booking.sms import Sms, SmsPermanentError, SmsTransientError, get_backend
from prefecture.after_response import after_response

Status = OutgoingMessage.Status
Channel = OutgoingMessage.Channel

logger = logging.getLogger(__name__)
# Publishes that failed in this process since it started (in each warning).
_publish_failures = itertools.count(1)


def first_sending_time(now: datetime) -> datetime:
    return rules.next_sending_time(
        now,
        quiet_from=settings.SMS_QUIET_FROM,
        quiet_until=settings.SMS_QUIET_UNTIL,
        tz=timezone.get_default_timezone(),
    )


def _sending_time(channel: str, moment: datetime) -> datetime:
    # The quiet hours are for SMS (a phone that rings at night); e-mail waits for none.
    return moment if channel == Channel.EMAIL else first_sending_time(moment)


def publish(task: Task, *calls: tuple) -> bool:
    """Publishes ``task(*args)`` for each ``args`` in ``calls``, now. Never raises: if
    the broker cannot be reached, logs one warning (no arguments, no personal data;
    the process's count of failed publishes), does not try the rest and returns
    False: the work is in the database and the sweeper publishes it later."""
    for done, args in enumerate(calls):
        try:
            task.delay(*args)
        except Exception as error:  # nothing may reach the applicant
            broker_error = isinstance(error, (KombuError, OSError))
            logger.log(
                logging.WARNING if broker_error else logging.ERROR,
                "publish failed (%d in this process): %s, %d of %d task(s) left to "
                "the sweeper: %s",
                next(_publish_failures),
                task.name,
                len(calls) - done,
                len(calls),
                # The broker's own words name its host; anything else, only its type.
                f"{type(error).__name__}: {error}"[:200]
                if broker_error
                else type(error).__name__,
                exc_info=not broker_error,  # not the broker: a bug to see
            )
            return False
    return True


def publish_after_commit(task: Task, *calls: tuple) -> None:
    """``publish``, once the current transaction has committed (at once outside
    any): the worker finds the rows, and a broker outage cannot undo the write. In
    a request, once its response is sent (prefecture.after_response): nobody waits
    for the publish, the rows are already written."""
    transaction.on_commit(partial(after_response, partial(publish, task, *calls)))


def _batches(message_ids: list[int]) -> list[tuple]:
    # Tasks of SMS_BATCH_SIZE messages each (10,000 cards ready: 200 publishes).
    size = settings.SMS_BATCH_SIZE
    return [(message_ids[i : i + size],) for i in range(0, len(message_ids), size)]


def messages_enqueue(message_ids: list[int]) -> None:
    """Publishes the messages' send tasks now (the sweeper; see publish)."""
    publish(send_sms_batch, *_batches(message_ids))


def enqueue_after_commit(message_ids: list[int]) -> None:
    """Publishes the messages' send tasks once the transaction that wrote them has
    committed (see publish_after_commit)."""
    publish_after_commit(send_sms_batch, *_batches(message_ids))


def _retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: up to 30 s, 1 min, 2 min… capped at 1 h."""
    ceiling = min(3600, 30 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311


@dataclass(frozen=True)
class SendOutcome:
    status: str
    retry_at: datetime | None = None


def message_send(*, message_id: int, now: datetime) -> SendOutcome | None:
    """Sends one message (see messages_send); None when there was nothing to send."""
    outcomes = messages_send(message_ids=[message_id], now=now)
    return outcomes[0] if outcomes else None


def messages_send(*, message_ids: list[int], now: datetime) -> list[SendOutcome]:
    """Sends each message at most once at a time: claims those still pending and due
    (pending → sending, one transaction for the batch, rows another worker holds are
    skipped), then sends each (SMS provider or mail server), outside any transaction,
    recording each result as soon as it comes, so a worker killed mid-batch leaves at
    most one message in doubt. Transient failures wait (send_after) within
    SMS_RETRY_WINDOW_HOURS, permanent ones are marked failed. After a transient failure the
    batch's other messages of that channel are not tried now: they go back to
    pending, untouched, for the same later time (a provider that is down is not
    called fifty times)."""
    with transaction.atomic():
        claimed = list(
            OutgoingMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=message_ids, status=Status.PENDING, send_after__lte=now)
            .order_by("pk")
        )
        OutgoingMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(
            status=Status.SENDING,
            claimed_at=now,
            handed_at=None,
            attempts=F("attempts") + 1,
        )
    outcomes: list[SendOutcome] = []
    tried: set[int] = set()
    retry_at: dict[str, datetime] = {}  # channels found down, and when to try again
    try:
        for message in claimed:
            if message.channel in retry_at:
                continue
            tried.add(message.pk)
            if not _hand(message.pk, claimed_at=now):
                continue  # swept meanwhile (worker too slow): no longer ours to send
            message.attempts += 1
            outcomes.append(_send_claimed(message, now=now))
            if outcomes[-1].retry_at is not None:
                retry_at[message.channel] = outcomes[-1].retry_at
    finally:
        # Not tried (after a transient failure, or the task stopped by an error or
        # its time limit): back to pending as they were. One stopped mid-call stays
        # "sending" with its handed_at: the provider may have it, the sweeper counts a
        # possible duplicate. (A worker killed outright runs no finally: the sweeper
        # tells the one in flight, handed_at set, from the rest of the batch.)
        for channel in {m.channel for m in claimed}:
            _release(
                [m.pk for m in claimed if m.channel == channel and m.pk not in tried],
                send_after=retry_at.get(channel),
            )
    return outcomes


def _deliver(message: OutgoingMessage) -> str:
    """Hands the message over; returns the provider's id (none for e-mail)."""
    if message.channel == Channel.EMAIL and message.waiting_request_id:
        waiting_email_send(
            request_id=message.waiting_request_id,
            kind=message.kind,
            to=message.to,
            code=message.body,
        )
        return ""
    if message.channel == Channel.EMAIL:
        if message.booking_id is None:  # a booking's or a waiting request's
            raise EmailPermanentError("no booking to write about")
        booking_email_send(
            booking_id=message.booking_id,
            kind=message.kind,
            to=message.to,
            code=message.body,  # a code e-mail's code; empty for the others
        )
        return ""
    sms = Sms(
        reference=message.idempotency_key,
        to=message.to,
        body=message.body,
        kind=message.kind,
    )
    return get_backend().send(sms).provider_id


# What each kind announces, to be true still when it leaves: a message held by the
# quiet hours (or a retry) must not tell of a place since gone, an appointment
# since cancelled, or a card since handed over.
_ABOUT_BOOKING = {
    OutgoingMessage.Kind.BOOKING_CONFIRMED,
    OutgoingMessage.Kind.BOOKING_MOVED,
    OutgoingMessage.Kind.BOOKING_REMINDER,
    OutgoingMessage.Kind.BOOKING_CONFIRMED_EMAIL,
    OutgoingMessage.Kind.BOOKING_MOVED_EMAIL,
}
_ABOUT_OFFER = {
    OutgoingMessage.Kind.WAITING_OFFER,
    OutgoingMessage.Kind.WAITING_OFFER_EMAIL,
}
_ABOUT_CARD = {OutgoingMessage.Kind.CARD_READY, OutgoingMessage.Kind.CARD_REMINDER}


def offer_message_key(request_id: int, offer_id: int) -> str:
    """The idempotency key of an offer's SMS (its e-mail's adds ":email")."""
    return f"waiting:{request_id}:offer:{offer_id}"


def _no_longer_true(message: OutgoingMessage, now: datetime) -> str:
    """Why ``message`` no longer tells the truth ('' when it still does)."""
    if message.kind in _ABOUT_BOOKING and message.booking_id is not None:
        active = Booking.objects.filter(
            pk=message.booking_id, status=Booking.Status.CONFIRMED
        ).exists()
        return "" if active else "not sent: the appointment is no longer active"
    if message.kind in _ABOUT_OFFER:
        offer_id = message.idempotency_key.split(":")[3]
        open_ = WaitingOffer.objects.filter(
            pk=offer_id, status=WaitingOffer.Status.OPEN, expires_at__gt=now
        ).exists()
        return "" if open_ else "not sent: the offer is no longer open"
    if message.kind in _ABOUT_CARD and message.card_id is not None:
        waiting = Card.objects.filter(
            pk=message.card_id, status=Card.Status.READY
        ).exists()
        return "" if waiting else "not sent: the card is no longer waiting"
    return ""


def _send_claimed(message: OutgoingMessage, *, now: datetime) -> SendOutcome:
    stale = _no_longer_true(message, now)
    if stale:
        return _record(message.pk, Status.REFUSED, last_error=stale)
    try:
        provider_id = _deliver(message)
    except (SmsPermanentError, EmailPermanentError) as error:
        return _record(message.pk, Status.FAILED, last_error=str(error)[:300])
    except (SmsTransientError, EmailTransientError) as error:
        if now - message.created_at >= timedelta(hours=settings.SMS_RETRY_WINDOW_HOURS):
            return _record(
                message.pk,
                Status.FAILED,
                last_error=f"abandoned after {message.attempts} attempts: {error}"[
                    :300
                ],
            )
        retry_at = _sending_time(message.channel, now + _retry_delay(message.attempts))
        _record(
            message.pk, Status.PENDING, last_error=str(error)[:300], send_after=retry_at
        )
        return SendOutcome(Status.PENDING, retry_at)
    outcome = _record(message.pk, Status.SENT, provider_id=provider_id, sent_at=now)
    if (
        message.kind == OutgoingMessage.Kind.BOOKING_CONFIRMED_EMAIL
        and message.booking_id
    ):
        Booking.objects.filter(
            pk=message.booking_id, confirmation_email_sent_at__isnull=True
        ).update(confirmation_email_sent_at=now)
    return outcome


def _hand(message_id: int, *, claimed_at: datetime) -> bool:
    """Marks the message "at the provider" (handed_at), committed before the call;
    False when it is no longer this claim's (swept and claimed again meanwhile)."""
    return bool(
        OutgoingMessage.objects.filter(
            pk=message_id,
            status=Status.SENDING,
            claimed_at=claimed_at,
            handed_at__isnull=True,
        ).update(handed_at=timezone.now())
    )


def _release(message_ids: list[int], *, send_after: datetime | None) -> None:
    if not message_ids:
        return
    fields: dict = {"status": Status.PENDING, "attempts": F("attempts") - 1}
    if send_after is not None:
        fields["send_after"] = send_after
    OutgoingMessage.objects.filter(pk__in=message_ids, status=Status.SENDING).update(
        **fields
    )


def _record(message_id: int, status: str, **fields) -> SendOutcome:
    # Only the claimer (status still "sending") may record a result.
    OutgoingMessage.objects.filter(pk=message_id, status=Status.SENDING).update(
        status=status, **fields
    )
    return SendOutcome(status)


def messages_sweep(*, now: datetime) -> list[int]:
    """Returns the messages to (re)enqueue: pending and due, or stuck in "sending"
    past SMS_SENDING_TIMEOUT_MINUTES (a worker killed mid-batch). Only a stuck message
    that had been handed to the provider (handed_at: the one in flight when the
    worker died) counts as a possible duplicate, since the provider may have accepted
    it; the rest of the claimed batch was never tried: back to pending, its claim's
    attempt given back, as a release would have done."""
    stuck = OutgoingMessage.objects.filter(
        status=Status.SENDING,
        claimed_at__lt=now - timedelta(minutes=settings.SMS_SENDING_TIMEOUT_MINUTES),
    )
    stuck.filter(handed_at__isnull=False).update(
        status=Status.PENDING,
        send_after=now,
        possible_duplicates=F("possible_duplicates") + 1,
    )
    stuck.filter(handed_at__isnull=True).update(
        status=Status.PENDING, send_after=now, attempts=F("attempts") - 1
    )
    due = OutgoingMessage.objects.filter(
        Q(status=Status.PENDING) & Q(send_after__lte=now)
    ).order_by("send_after")
    return list(due.values_list("pk", flat=True)[: settings.SMS_SWEEP_BATCH])


def messages_retry(*, message_ids: list[int], now: datetime) -> int:
    """Puts failed or undelivered messages back in the queue, now (an agent's
    decision after fixing the cause). Returns how many."""
    with transaction.atomic():
        retry = OutgoingMessage.objects.filter(
            pk__in=message_ids, status__in=[Status.FAILED, Status.UNDELIVERED]
        )
        ids = list(retry.values_list("pk", flat=True))
        retry.update(
            status=Status.PENDING,
            send_after=Case(
                When(channel=Channel.EMAIL, then=Value(now)),
                default=Value(first_sending_time(now)),
            ),
        )
        enqueue_after_commit(ids)
    return len(ids)


# Delivery receipts from the SMS provider: idempotent, order-proof. (E-mails get none.)
DELIVERED = {"delivered"}
UNDELIVERED = {"soft_bounce", "hard_bounce", "softbounce", "hardbounce", "rejected",
               "blocked", "undelivered", "error"}  # fmt: skip


class UnknownMessage(LookupError):
    """No message of ours has this provider id."""


def receipt_apply(*, provider_id: str, provider_status: str, now: datetime) -> str:
    """Applies one receipt: "delivered" is final (a late or repeated receipt changes
    nothing), a bounce marks the message undelivered unless it was delivered;
    intermediate statuses (sent, accepted) change nothing. Returns the new status."""
    messages = OutgoingMessage.objects.filter(
        channel=Channel.SMS, provider_id=provider_id
    )
    if not provider_id or not messages.exists():
        raise UnknownMessage(provider_id)
    status = provider_status.strip().lower()
    if status in DELIVERED:
        messages.exclude(status=Status.DELIVERED).update(
            status=Status.DELIVERED, delivered_at=now
        )
    elif status in UNDELIVERED:
        messages.exclude(status=Status.DELIVERED).update(
            status=Status.UNDELIVERED, last_error=f"receipt: {status}"[:300]
        )
    return messages.values_list("status", flat=True).get()


@shared_task(name="booking.tasks.send_sms_batch", acks_late=True)
def send_sms_batch(message_ids: list[int]) -> None:
    """Sends outbox messages, SMS or e-mail (SMS_BATCH_SIZE at most); retries are scheduled in the
    database (send_after) and picked up by the sweeper, never as long Celery ETAs."""
    messages_send(message_ids=message_ids, now=timezone.now())


@shared_task(name="booking.tasks.send_sms", acks_late=True)
def send_sms(message_id: int) -> None:
    """One message: tasks queued by an earlier release still find their consumer."""
    message_send(message_id=message_id, now=timezone.now())
