"""The SMS outbox: claim, send outside any transaction, record; sweep what was lost;
apply the provider's delivery receipts. The worker tasks that send live here, beside
the writes that enqueue them (their registered names are those of the former
``booking.tasks`` module, so messages already in the broker are still consumed)."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from booking import rules
from booking.models import OutgoingMessage
from booking.sms import Sms, SmsPermanentError, SmsTransientError, get_backend

Status = OutgoingMessage.Status


def first_sending_time(now: datetime) -> datetime:
    return rules.next_sending_time(
        now,
        quiet_from=settings.SMS_QUIET_FROM,
        quiet_until=settings.SMS_QUIET_UNTIL,
        tz=timezone.get_default_timezone(),
    )


def messages_enqueue(message_ids: list[int]) -> None:
    """Tasks of SMS_BATCH_SIZE messages each (10,000 cards ready: 200 publishes, not
    10,000). If the broker is unreachable, the rows wait for the sweeper."""
    for start in range(0, len(message_ids), settings.SMS_BATCH_SIZE):
        try:
            send_sms_batch.delay(message_ids[start : start + settings.SMS_BATCH_SIZE])
        except Exception:  # broker unreachable: the rows wait for the sweeper
            return


def enqueue_after_commit(message_ids: list[int]) -> None:
    """messages_enqueue, once the transaction that wrote them has committed."""
    transaction.on_commit(partial(messages_enqueue, message_ids))


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
    skipped), then calls the provider for each, outside any transaction, recording
    each result as soon as it comes, so a worker killed mid-batch leaves at most one
    message in doubt. Transient failures wait (send_after) for SMS_RETRY_WINDOW_HOURS,
    permanent ones are marked failed. After a transient failure the rest of the
    batch is not tried now: it goes back to pending, untouched, for the same later
    time (a provider that is down is not called fifty times)."""
    with transaction.atomic():
        claimed = list(
            OutgoingMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=message_ids, status=Status.PENDING, send_after__lte=now)
            .order_by("pk")
        )
        OutgoingMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(
            status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    outcomes: list[SendOutcome] = []
    tried = 0
    try:
        for message in claimed:
            tried += 1
            message.attempts += 1
            outcomes.append(_send_claimed(message, now=now))
            if outcomes[-1].retry_at is not None:
                break
    finally:
        # Not tried (after a transient failure, or the task stopped by an error or
        # its time limit): back to pending as they were. One stopped mid-call stays
        # "sending": the provider may have it, the sweeper counts a possible duplicate.
        _release(
            [m.pk for m in claimed[tried:]],
            send_after=outcomes[-1].retry_at if outcomes else None,
        )
    return outcomes


def _send_claimed(message: OutgoingMessage, *, now: datetime) -> SendOutcome:
    sms = Sms(
        reference=message.idempotency_key,
        to=message.to,
        body=message.body,
        kind=message.kind,
    )
    try:
        sent = get_backend().send(sms)
    except SmsPermanentError as error:
        return _record(message.pk, Status.FAILED, last_error=str(error)[:300])
    except SmsTransientError as error:
        if now - message.created_at >= timedelta(hours=settings.SMS_RETRY_WINDOW_HOURS):
            return _record(
                message.pk,
                Status.FAILED,
                last_error=f"abandoned after {message.attempts} attempts: {error}"[
                    :300
                ],
            )
        retry_at = first_sending_time(now + _retry_delay(message.attempts))
        _record(
            message.pk, Status.PENDING, last_error=str(error)[:300], send_after=retry_at
        )
        return SendOutcome(Status.PENDING, retry_at)
    return _record(message.pk, Status.SENT, provider_id=sent.provider_id, sent_at=now)


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
    past SMS_SENDING_TIMEOUT_MINUTES (a worker killed mid-send; counted as a possible
    duplicate, since the provider may have accepted it)."""
    stuck = OutgoingMessage.objects.filter(
        status=Status.SENDING,
        claimed_at__lt=now - timedelta(minutes=settings.SMS_SENDING_TIMEOUT_MINUTES),
    )
    stuck.update(
        status=Status.PENDING,
        send_after=now,
        possible_duplicates=F("possible_duplicates") + 1,
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
        retry.update(status=Status.PENDING, send_after=first_sending_time(now))
        enqueue_after_commit(ids)
    return len(ids)


# Delivery receipts from the SMS provider: idempotent, order-proof.
DELIVERED = {"delivered"}
UNDELIVERED = {"soft_bounce", "hard_bounce", "softbounce", "hardbounce", "rejected",
               "blocked", "undelivered", "error"}  # fmt: skip


class UnknownMessage(LookupError):
    """No message of ours has this provider id."""


def receipt_apply(*, provider_id: str, provider_status: str, now: datetime) -> str:
    """Applies one receipt: "delivered" is final (a late or repeated receipt changes
    nothing), a bounce marks the message undelivered unless it was delivered;
    intermediate statuses (sent, accepted) change nothing. Returns the new status."""
    messages = OutgoingMessage.objects.filter(provider_id=provider_id)
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
    """Sends outbox messages (SMS_BATCH_SIZE at most); retries are scheduled in the
    database (send_after) and picked up by the sweeper, never as long Celery ETAs."""
    messages_send(message_ids=message_ids, now=timezone.now())


@shared_task(name="booking.tasks.send_sms", acks_late=True)
def send_sms(message_id: int) -> None:
    """One message: tasks queued by an earlier release still find their consumer."""
    message_send(message_id=message_id, now=timezone.now())
