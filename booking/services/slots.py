"""Opening slots from the schedules the agents configure."""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import holidays
from django.db import transaction
from django.utils import timezone

from booking import availability, rules
from booking.models import ClosureDay, OpeningSchedule, Procedure, Slot, WaitingMode
from booking.services.offers import offers_trigger

NOON = time(12, 0)
_random = secrets.SystemRandom()


def publication_moment(
    *, now: datetime, window_from: time, window_until: time
) -> datetime:
    """A random moment of the next publication window (today's if it has not ended):
    new slots never appear at a predictable minute."""
    today = timezone.localdate(now)
    start = timezone.make_aware(datetime.combine(today, window_from))
    end = timezone.make_aware(datetime.combine(today, window_until))
    if now >= end:
        start += timedelta(days=1)
        end += timedelta(days=1)
    start = max(start, now)
    return start + timedelta(seconds=_random.uniform(0, (end - start).total_seconds()))


@dataclass
class GenerationReport:
    created: int = 0
    skipped_closed: int = 0


def _closed_periods(site_ids: set[int], first: date, last: date) -> dict:
    closures: dict[tuple[int, date], set[str]] = {}
    for site_id, day, period in ClosureDay.objects.filter(
        site_id__in=site_ids, day__range=(first, last)
    ).values_list("site_id", "day", "period"):
        closures.setdefault((site_id, day), set()).add(period)
    return closures


def _is_closed(periods: set[str], starts: time) -> bool:
    return (
        ClosureDay.Period.DAY in periods
        or (ClosureDay.Period.MORNING in periods and starts < NOON)
        or (ClosureDay.Period.AFTERNOON in periods and starts >= NOON)
    )


def slots_generate(
    *, now: datetime, schedule_ids: list[int] | None = None
) -> GenerationReport:
    """Opens the slots of every schedule from tomorrow up to its démarche's booking
    horizon, skipping French public holidays and closures; idempotent (existing slots,
    booked or not, are never touched)."""
    report = GenerationReport()
    today = timezone.localdate(now)
    chosen = OpeningSchedule.objects.select_related("procedure")
    if schedule_ids is not None:
        chosen = chosen.filter(pk__in=schedule_ids)
    schedules = list(chosen)
    if not schedules:
        return report
    last = today + timedelta(days=max(s.procedure.max_horizon_days for s in schedules))
    public_holidays = holidays.country_holidays(
        "FR", years=range(today.year, last.year + 1)
    )
    closures = _closed_periods({s.site_id for s in schedules}, today, last)
    existing = set(
        Slot.objects.filter(starts_at__date__gt=today).values_list(
            "site_id", "procedure_id", "starts_at"
        )
    )
    new: list[Slot] = []
    for schedule in schedules:
        horizon = today + timedelta(days=schedule.procedure.max_horizon_days)
        published = publication_moment(
            now=now,
            window_from=schedule.publish_from,
            window_until=schedule.publish_until,
        )
        day = today + timedelta(days=1)
        while day <= horizon:
            if (
                day.weekday() == schedule.weekday
                and day >= schedule.valid_from
                and (schedule.valid_until is None or day <= schedule.valid_until)
                and day not in public_holidays
            ):
                new += _day_slots(schedule, day, published, existing, closures, report)
            day += timedelta(days=1)
    owners = {s.procedure_id: s.procedure for s in schedules}
    for procedure_id, procedure in owners.items():
        slots_via_list(
            procedure=procedure,
            slots=[s for s in new if s.procedure_id == procedure_id],
        )
    with transaction.atomic():
        Slot.objects.bulk_create(new, ignore_conflicts=True)
        availability.changed()
        for procedure_id in sorted({s.procedure_id for s in new}):
            offers_trigger(procedure_id=procedure_id)  # the waiting list first
    report.created = len(new)
    return report


def slots_via_list(*, procedure: Procedure, slots: list[Slot]) -> None:
    """Marks a new batch of slots (before they are saved) as the démarche's mode
    says: all kept for the waiting list ("liste"), none ("direct"), or its share
    spread across the batch ("mixte")."""
    if procedure.waiting_mode == WaitingMode.LIST:
        for slot in slots:
            slot.via_list = True
    elif procedure.waiting_mode == WaitingMode.MIXED:
        ordered = sorted(slots, key=lambda s: (s.starts_at, s.site_id))
        for index in rules.list_share_indices(len(ordered), procedure.waiting_share):
            ordered[index].via_list = True


def _day_slots(schedule, day, published, existing, closures, report) -> list[Slot]:
    """The day's slots, stepped in real time (UTC): Paris time would make, on the
    night clocks change, a 90-minute slot and skip the repeated hour in October,
    and the same instants twice in March. Each new slot joins ``existing``, so two
    schedules over the same times open one slot and the report counts it once."""
    slots = []
    step = timedelta(minutes=schedule.slot_minutes)
    start = timezone.make_aware(datetime.combine(day, schedule.starts)).astimezone(UTC)
    end_of_day = timezone.make_aware(datetime.combine(day, schedule.ends))
    periods = closures.get((schedule.site_id, day), set())
    while start + step <= end_of_day:
        key = (schedule.site_id, schedule.procedure_id, start)
        if _is_closed(periods, timezone.localtime(start).time()):
            report.skipped_closed += 1
        elif key not in existing:
            existing.add(key)
            slots.append(
                Slot(
                    site_id=schedule.site_id,
                    procedure_id=schedule.procedure_id,
                    starts_at=start,
                    ends_at=start + step,
                    capacity=schedule.places,
                    published_at=published,
                )
            )
        start += step
    return slots


def slot_save(*, slot: Slot, is_new: bool) -> Slot:
    """An agent's slot, added or edited by hand: a new one of a démarche in "liste"
    mode is kept for the waiting list (the agent may still untick it later), and
    the list gets first call on its places."""
    with transaction.atomic():
        if is_new and slot.procedure.waiting_mode == WaitingMode.LIST:
            slot.via_list = True
        slot.save()
        offers_trigger(procedure_id=slot.procedure_id)
    return slot
