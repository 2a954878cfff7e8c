"""The SMS outbox: claim, send outside any transaction, record; sweep what was lost."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from booking import rules
from booking.models import OutgoingMessage
from booking.sms import Sms, SmsPermanentError, SmsTransientError, get_backend

Status = OutgoingMessage.Status


def first_sending_time(now: datetime) -> datetime:
    return rules.next_sending_time(
        now, quiet_from=settings.SMS_QUIET_FROM, quiet_until=settings.SMS_QUIET_UNTIL
    )


def enqueue_after_commit(message_ids: list[int]) -> None:
    """One task a message, once the transaction that wrote them has committed. If the
    broker is down then, the sweeper sends them later."""

    def enqueue() -> None:
        from booking.tasks import send_sms

        for message_id in message_ids:
            try:
                send_sms.delay(message_id)
            except Exception:  # broker unreachable: the rows wait for the sweeper
                return

    transaction.on_commit(enqueue)


def _retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: up to 30 s, 1 min, 2 min… capped at 1 h."""
    ceiling = min(3600, 30 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311


@dataclass(frozen=True)
class SendOutcome:
    status: str
    retry_at: datetime | None = None


def message_send(*, message_id: int, now: datetime) -> SendOutcome | None:
    """Sends one message at most once at a time: claims it (pending → sending, a
    conditional update), calls the provider outside any transaction, records the
    result. Transient failures wait (send_after) within SMS_RETRY_WINDOW, permanent
    ones are marked failed. Returns None when there was nothing to send."""
    claimed = OutgoingMessage.objects.filter(
        pk=message_id, status=Status.PENDING, send_after__lte=now
    ).update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    message = OutgoingMessage.objects.get(pk=message_id)
    sms = Sms(
        reference=message.idempotency_key,
        to=message.to,
        body=message.body,
        kind=message.kind,
    )
    try:
        sent = get_backend().send(sms)
    except SmsPermanentError as error:
        return _record(message_id, Status.FAILED, last_error=str(error)[:300])
    except SmsTransientError as error:
        if now - message.created_at >= settings.SMS_RETRY_WINDOW:
            return _record(
                message_id,
                Status.FAILED,
                last_error=f"abandoned after {message.attempts} attempts: {error}"[
                    :300
                ],
            )
        retry_at = first_sending_time(now + _retry_delay(message.attempts))
        _record(
            message_id, Status.PENDING, last_error=str(error)[:300], send_after=retry_at
        )
        return SendOutcome(Status.PENDING, retry_at)
    return _record(message_id, Status.SENT, provider_id=sent.provider_id, sent_at=now)


def _record(message_id: int, status: str, **fields) -> SendOutcome:
    # Only the claimer (status still "sending") may record a result.
    OutgoingMessage.objects.filter(pk=message_id, status=Status.SENDING).update(
        status=status, **fields
    )
    return SendOutcome(status)


def messages_sweep(*, now: datetime) -> list[int]:
    """Returns the messages to (re)enqueue: pending and due, or stuck in "sending"
    past SMS_SENDING_TIMEOUT (a worker killed mid-send; counted as a possible
    duplicate, since the provider may have accepted it)."""
    stuck = OutgoingMessage.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - settings.SMS_SENDING_TIMEOUT
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
