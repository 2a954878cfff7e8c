"""10,000 "carte disponible" SMS through the outbox, the worker and the local
provider: none missing, none twice."""

import time

from django.db import transaction
from django.utils import timezone

from bench import dataset
from bench.scenarios.common import (
    SMS_CARDS,
    InvariantBroken,
    provider,
)

# --- "carte disponible" at volume ---------------------------------------------


def sms_volume() -> dict:
    """10,000 cards marked ready through the service of the admin action; the
    worker sends them to the local provider; 0 duplicates, 0 missing."""
    from booking import services
    from booking.models import OutgoingMessage
    from booking.services.cards import card_ready_key

    provider("/bench/reset")
    card_ids = dataset.cards(SMS_CARDS)
    dataset.vacuum_analyze()
    committed: list[float] = []
    start = time.perf_counter()
    # The admin action's call, in a transaction of its own; the first hook after
    # commit notes the moment, the service's own hook then enqueues the tasks.
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.perf_counter()))
        report = services.card_mark_ready(
            card_ids=card_ids, by="banc d'essai", now=timezone.now()
        )
    marked = time.perf_counter() - start
    if len(report.ready) != SMS_CARDS:
        raise InvariantBroken(f"SMS: {len(report.ready)} cards marked ready of 10,000")
    deadline = start + 300
    received = 0
    progress = time.perf_counter()
    while received < SMS_CARDS and time.perf_counter() < deadline:
        received = provider("/bench/stats")["received"]
        if time.perf_counter() - progress > 10:
            print(
                f"  SMS: {received} received after {time.perf_counter() - start:.0f} s"
            )
            progress = time.perf_counter()
        time.sleep(0.2)
    delivered = time.perf_counter() - start
    time.sleep(1.0)  # a late duplicate would show now
    references = provider("/bench/stats", references="1")["references"]
    expected = {card_ready_key(pk) for pk in card_ids}
    duplicates = len(references) - len(set(references))
    missing = len(expected - set(references))
    if duplicates or missing or set(references) - expected:
        raise InvariantBroken(
            f"SMS: {duplicates} duplicates, {missing} missing, "
            f"{len(set(references) - expected)} unexpected"
        )
    # The worker records "sent" just after the provider's answer: wait for the last.
    sent = 0
    for _ in range(300):
        sent = OutgoingMessage.objects.filter(
            idempotency_key__in=expected, status=OutgoingMessage.Status.SENT
        ).count()
        if sent == SMS_CARDS:
            break
        time.sleep(0.1)
    if sent != SMS_CARDS:
        raise InvariantBroken(f"SMS: {sent} messages recorded as sent of 10,000")
    return {
        "commit_s": committed[0] - start,
        "marked_s": marked,
        "delivered_s": delivered,
        "delivery_rate": SMS_CARDS / delivered,
        "duplicates": duplicates,
        "missing": missing,
    }
