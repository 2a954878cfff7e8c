"""300 places released at once to a waiting list of 2,000."""

import time
from collections import Counter

from django.utils import timezone

from bench import dataset
from bench.scenarios.common import (
    InvariantBroken,
    provider,
    run_ids,
)

# --- the waiting list: places released to it at once --------------------------------


RELEASE_PEOPLE = 2000
RELEASE_SLOTS, RELEASE_CAPACITY = 60, 5  # 300 places


def release() -> dict:
    """2,000 people waiting, 300 places released to the list at once: an agent
    switches the démarche to "liste d'attente" (the service of the admin form); the
    worker offers the places and sends the offers' SMS to the local provider. Timed
    until every offer is committed and until every SMS reached the provider; then
    checked in the database: each place offered once, each offer to the most urgent
    request it fits of those still waiting, one live offer per numéro, no SMS
    missing or sent twice."""
    from booking import services
    from booking.models import WaitingEvent, WaitingMode, WaitingOffer

    run = next(run_ids)
    provider("/bench/reset")
    waiting = dataset.waiting_list(
        f"liste-{run}",
        people=RELEASE_PEOPLE,
        slots=RELEASE_SLOTS,
        capacity=RELEASE_CAPACITY,
        seed=run,
    )
    dataset.vacuum_analyze()
    offers = WaitingOffer.objects.filter(slot__procedure=waiting.procedure)
    expected = waiting.places
    started_at = timezone.now()
    start = time.perf_counter()
    services.procedure_waiting_mode_set(
        procedure_id=waiting.procedure.pk, mode=WaitingMode.LIST, now=started_at
    )
    switched = time.perf_counter() - start
    deadline = start + 300
    made = received = 0
    all_made = float("nan")
    while received < expected and time.perf_counter() < deadline:
        if made < expected:
            made = offers.count()
            if made >= expected:
                all_made = time.perf_counter() - start
        received = provider("/bench/stats")["received"]
        time.sleep(0.05)
    delivered = time.perf_counter() - start
    if received < expected:
        raise InvariantBroken(
            f"release: {made} offers, {received} SMS received after 300 s "
            f"for {expected} places"
        )
    time.sleep(1.0)  # a late duplicate or a surplus offer would show now
    last_offer = WaitingEvent.objects.filter(
        request__procedure=waiting.procedure, kind=WaitingEvent.Kind.OFFERED
    ).latest("at")
    committed = (last_offer.at - started_at).total_seconds()
    references = provider("/bench/stats", references="1")["references"]
    duplicates, missing = check_release_invariants(waiting, offers, references)
    return {
        "switch_s": switched,
        "offers_s": committed,
        "seen_s": all_made,
        "delivered_s": delivered,
        "offers": offers.count(),
        "offers_per_s": expected / committed,
        "duplicates": duplicates,
        "missing": missing,
    }


def check_release_invariants(
    waiting: dataset.Waiting, offers, references: list[str]
) -> tuple[int, int]:
    """Each place offered once; the offers, in the order they were decided, each
    to the most urgent request it fits among those still waiting (so the 300
    offers went to the most urgent people the places fit); one live offer per
    numéro; each offer's SMS received once, none other. Returns the SMS duplicates
    and missing (0 and 0, or it raised)."""
    from booking import rules
    from booking.models import WaitingOffer

    rows = list(
        offers.order_by("pk").values_list(
            "pk", "request_id", "slot_id", "status", "request__numero_etranger"
        )
    )
    capacity = {s.pk: s.capacity for s in waiting.slots}
    per_slot = Counter(slot for _pk, _r, slot, _s, _n in rows)
    if len(rows) != waiting.places or per_slot != Counter(capacity):
        raise InvariantBroken(
            f"release: {len(rows)} offers for {waiting.places} places, "
            f"{sum(1 for s, n in per_slot.items() if n > capacity[s])} slots over"
        )
    if any(status != WaitingOffer.Status.OPEN for _p, _r, _s, status, _n in rows):
        raise InvariantBroken("release: an offer closed although nobody answered")
    numeros = Counter(n for _p, _r, _s, _st, n in rows)
    if max(numeros.values()) > 1:
        raise InvariantBroken("release: a numéro with two live offers")
    tz = timezone.get_default_timezone()
    slots = {s.pk: s for s in waiting.slots}
    queue = sorted(
        waiting.requests,
        key=lambda r: rules.urgency_key(
            priority=r.priority,
            title_valid_until=r.title_valid_until,
            joined_at=r.joined_at,
            pk=r.pk,
        ),
    )
    for offer_id, request_id, slot_id, _status, _numero in rows:
        slot = slots[slot_id]
        best = next(
            r
            for r in queue
            if rules.is_waiting_compatible(
                site_id=slot.site_id,
                starts_at=slot.starts_at,
                sites=waiting.sites[r.pk],
                unavailable=r.unavailable_half_days,
                before=None,
                tz=tz,
            )
        )
        if best.pk != request_id:
            raise InvariantBroken(
                f"release: offer {offer_id} went to request {request_id}, the most "
                f"urgent waiting request it fits was {best.pk}"
            )
        queue.remove(best)
    expected = {f"waiting:{r}:offer:{o}" for o, r, _s, _st, _n in rows}
    duplicates = len(references) - len(set(references))
    missing = expected - set(references)
    unexpected = set(references) - expected
    if duplicates or missing or unexpected:
        raise InvariantBroken(
            f"release SMS: {duplicates} duplicates, {len(missing)} missing, "
            f"{len(unexpected)} unexpected"
        )
    return duplicates, len(missing)
