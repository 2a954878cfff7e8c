"""Reads shared by the booking pages and the API, each a fixed number of queries."""

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat, ExtractHour, TruncDate, Upper
from django.utils import timezone
from django.utils.translation import ngettext

from booking import cache_versions, rules
from booking.models import (
    Booking,
    Card,
    ClosureDay,
    Hold,
    OutgoingMessage,
    Procedure,
    Site,
    Slot,
    TitleRecord,
    WaitingOffer,
    WaitingRequest,
)
from prefecture import request_keys
from prefecture.compiled_sql import CompiledQuery, Statement, run_together


def procedure_list_offered() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_active=True)


PROCEDURE_CACHE_SECONDS = 300  # a safety net: every change moves the version


@dataclass(frozen=True)
class _Offered:
    version: int
    until: float  # time.monotonic()
    rows: dict[int, Procedure]


_offered: _Offered | None = None  # this process's copy of the offered démarches


def procedure_get_offered(*, pk: int) -> Procedure | None:
    """The offered démarche with this id. Every step of the flow reads it: each
    process keeps the offered démarches (a handful, one query) for the démarches'
    version, which moves when an agent saves or deletes one (booking.signals), so a
    démarche withdrawn or renamed shows at once in every web process. The version
    comes with the session in one MGET (prefecture.request_keys): no round trip of
    its own."""
    global _offered
    version = procedures_version()
    offered = _offered
    if offered is None or offered.version != version or offered.until < monotonic():
        offered = _Offered(
            version,
            monotonic() + PROCEDURE_CACHE_SECONDS,
            {p.pk: p for p in procedure_list_offered()},
        )
        _offered = offered
    procedure = offered.rows.get(pk)
    # A copy: the views may set attributes on it, other threads share the original.
    return None if procedure is None else copy.copy(procedure)


PROCEDURES_VERSION_KEY = request_keys.PROCEDURES_VERSION_KEY


def procedures_version() -> int:
    """Moves whenever a démarche is saved or deleted: what is cached from the list of
    démarches (the gate's form, the flow's démarche) is keyed by it."""
    return cache_versions.current(PROCEDURES_VERSION_KEY)


def procedure_changed(pk: int) -> None:
    cache_versions.bump(PROCEDURES_VERSION_KEY)
    # The row as the release before this one cached it: its workers still serve
    # during a rolling deploy. Drop this line in the release after.
    cache.delete(f"booking:procedure:{pk}")


def site_list_active() -> QuerySet[Site]:
    return Site.objects.filter(is_active=True)


def slot_list_open(
    *, procedure: Procedure, now: datetime, exclude_hold_token: str = ""
) -> QuerySet[Slot]:
    """Slots of the démarche offered for self-service (published, not kept for the
    waiting list) inside its booking window with at least one free place: capacity
    minus confirmed bookings, live holds (other than the caller's) and open offers.
    The places are counted per slot (correlated subqueries on indexed columns), so
    a page of the first slots stops after them: joining and grouping every slot of
    the window first took 75 ms at 5,000 slots (BENCHMARKS.md)."""
    return _open_slots(**_open_slots_values(procedure, now, exclude_hold_token))


def _open_slots_values(procedure: Procedure, now: datetime, exclude_hold_token: str):
    return {
        "procedure_id": procedure.slots_procedure_id,
        "now": now,
        "starts_from": now + timedelta(hours=procedure.min_notice_hours),
        "starts_until": now + timedelta(days=procedure.max_horizon_days),
        "exclude_hold_token": exclude_hold_token,
    }


_OPEN_SLOTS_VALUES = {
    "procedure_id": int,
    "now": datetime,
    "starts_from": datetime,
    "starts_until": datetime,
    "exclude_hold_token": str,
}


def _open_slots(
    *,
    procedure_id: int,
    now: datetime,
    starts_from: datetime,
    starts_until: datetime,
    exclude_hold_token: str,
) -> QuerySet[Slot]:
    held = (
        Hold.objects.filter(slot=OuterRef("pk"), expires_at__gt=now)
        .exclude(token=exclude_hold_token)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Slot.objects.filter(
            procedure_id=procedure_id,
            published_at__lte=now,
            via_list=False,
            starts_at__gte=starts_from,
            starts_at__lte=starts_until,
        )
        .select_related("site")
        .annotate(
            booked=Coalesce(Subquery(_confirmed()), 0),
            held=Coalesce(Subquery(held), 0),
            offered=Coalesce(Subquery(_open_offers()), 0),
        )
        .annotate(free=F("capacity") - F("booked") - F("held") - F("offered"))
        .filter(free__gt=0)
        .exclude(slot_is_closed())
        .order_by("starts_at", "pk")
    )


def procedure_has_place(*, procedure: Procedure, now: datetime) -> bool:
    """Whether the démarche has a place free for self-service, or one held that may
    come back when its hold lapses: when neither, the flow says "complet" at its
    first step instead of after the identity check. Two short queries, compiled once
    per process and sent together (the answer is built again after every hold and
    booking: compiling them was most of a gate POST's time)."""
    values = _open_slots_values(procedure, now, "")
    one_open, one_held = run_together(
        [
            _ONE_OPEN.statement(**values),
            _ONE_HELD.statement(
                procedure_id=values["procedure_id"],
                starts_from=values["starts_from"],
                now=now,
            ),
        ]
    )
    return bool(one_open or one_held)


def _one_held(*, procedure_id: int, starts_from: datetime, now: datetime) -> QuerySet:
    return (
        Hold.objects.filter(
            slot__procedure_id=procedure_id,
            slot__via_list=False,
            slot__starts_at__gte=starts_from,
            expires_at__gt=now,
        )
        .order_by()
        .values("pk")[:1]
    )


# Compiled once per process (procedure_has_place).
_ONE_OPEN = CompiledQuery(
    lambda **values: _open_slots(**values).order_by().values("pk")[:1],
    **_OPEN_SLOTS_VALUES,
)
_ONE_HELD = CompiledQuery(
    _one_held, procedure_id=int, starts_from=datetime, now=datetime
)


def slot_is_closed() -> Exists:
    """Whether a closure covers the slot (to filter or annotate slots): its site is
    closed that day (Paris), all day or for the half-day it starts in (morning
    before noon). A closure added after the slots were opened hides them at once."""
    tz = timezone.get_default_timezone()
    starts_at = ExpressionWrapper(OuterRef("starts_at"), output_field=DateTimeField())
    return Exists(
        ClosureDay.objects.filter(
            site_id=OuterRef("site_id"), day=TruncDate(starts_at, tzinfo=tz)
        )
        .annotate(hour=ExtractHour(starts_at, tzinfo=tz))
        .filter(
            Q(period=ClosureDay.Period.DAY)
            | Q(period=ClosureDay.Period.MORNING, hour__lt=12)
            | Q(period=ClosureDay.Period.AFTERNOON, hour__gte=12)
        )
    )


def slot_closed(*, slot_id: int) -> bool:
    return Slot.objects.filter(slot_is_closed(), pk=slot_id).exists()


def booking_list_closed(*, closure: ClosureDay) -> QuerySet[Booking]:
    """The active appointments on slots that ``closure`` covers (one query)."""
    return (
        Booking.objects.select_related("slot__site", "procedure")
        .filter(status=Booking.Status.CONFIRMED, slot__site_id=closure.site_id)
        .filter(slot__in=Slot.objects.filter(slot_is_closed(), site_id=closure.site_id))
        .filter(slot__starts_at__date=closure.day)
        .order_by("slot__starts_at", "last_name")
    )


def _open_offers(exclude_offer: int = 0) -> QuerySet:
    """The slot's open waiting-list offers, counted (a correlated subquery)."""
    return (
        WaitingOffer.objects.filter(
            slot=OuterRef("pk"), status=WaitingOffer.Status.OPEN
        )
        .exclude(pk=exclude_offer)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )


@dataclass(frozen=True)
class SlotChoice:
    """One radio of the slot list, its words ready: formatting each one in the
    template (time filter, plural tag) was most of the page's time when a page
    showed 150 (BENCHMARKS.md)."""

    value: str  # the slot's id, as the radio submits it (no number formatting)
    time: str  # "09:30", Paris time
    hint: str  # "Orléans — 3 places"
    site: str  # "Orléans", to name the choice next to the button


@dataclass(frozen=True)
class Day:
    day: date
    slots: list[SlotChoice]


def group_by_day(rows, *, changeable_from: datetime | None = None) -> list[Day]:
    """Rows of (pk, starts_at, free, site name), earliest first, by Paris day. A
    slot starting before ``changeable_from`` (now + BOOKING_CHANGE_CUTOFF_HOURS)
    says that it cannot be moved or cancelled online once booked."""
    tz = timezone.get_current_timezone()
    places: dict[int, str] = {}  # the plural, translated once per count
    days: dict[date, list[SlotChoice]] = {}
    fixed = ngettext(
        "moins de %(hours)d heure : ne pourra être ni déplacé ni annulé en ligne",
        "moins de %(hours)d heures : ne pourra être ni déplacé ni annulé en ligne",
        settings.BOOKING_CHANGE_CUTOFF_HOURS,
    ) % {"hours": settings.BOOKING_CHANGE_CUTOFF_HOURS}
    for pk, starts_at, free, site in rows:
        starts_at = starts_at.astimezone(tz)
        if free not in places:
            places[free] = ngettext("%(places)s place", "%(places)s places", free) % {
                "places": free
            }
        hint = f"{site} — {places[free]}"
        if changeable_from is not None and starts_at < changeable_from:
            hint = f"{hint} — {fixed}"
        days.setdefault(starts_at.date(), []).append(
            SlotChoice(str(pk), starts_at.strftime("%H:%M"), hint, site)
        )
    return [Day(day, day_slots) for day, day_slots in days.items()]


@dataclass(frozen=True)
class DayTab:
    """A day with open slots, as the day list names it."""

    day: date
    slots: int


@dataclass(frozen=True)
class SlotDay:
    """The slot list one day at a time: on a phone a whole month of radios was
    fourteen thousand pixels tall, the button fifteen screens below the choice."""

    days: list[DayTab]  # every day with an open slot, earliest first
    shown: Day | None  # the day whose times are listed (None: no open slot)
    previous_day: date | None
    next_day: date | None


def slot_day(open_slots, *, day: date | None, now: datetime | None = None) -> SlotDay:
    """The open slots of one Paris day: the first day with an open slot on or after
    ``day`` (the last such day when ``day`` is past them all, the first when None),
    and the list of days to go to another. Two queries, whatever the number of
    slots; read again when the day's last places went between the two (a rush), so
    that a day is never shown without a time to choose."""
    tz = timezone.get_current_timezone()
    return _slot_day(
        lambda: list(_day_counts(open_slots, tz)),
        lambda start, end: list(_day_rows(open_slots, start, end)),
        day=day,
        now=now,
    )


def slot_day_open(
    *, procedure: Procedure, now: datetime, day: date | None, exclude_hold_token: str
) -> SlotDay:
    """slot_day of slot_list_open, its two queries compiled once per process: the
    slot list is built again after every hold and booking, and compiling them was
    half of each build (BENCHMARKS.md)."""
    tz = timezone.get_current_timezone()
    if tz != timezone.get_default_timezone():  # the compiled SQL names the default
        return slot_day(
            slot_list_open(
                procedure=procedure, now=now, exclude_hold_token=exclude_hold_token
            ),
            day=day,
            now=now,
        )
    values = _open_slots_values(procedure, now, exclude_hold_token)

    def days() -> list[tuple]:
        [rows] = run_together([_OPEN_DAYS.statement(**values)])
        return [tuple(row.values()) for row in rows]

    def rows(start: datetime, end: datetime) -> list[tuple]:
        statement = _OPEN_DAY_ROWS.statement(**values, day_start=start, day_end=end)
        [found] = run_together([statement])
        return [tuple(row.values()) for row in found]

    return _slot_day(days, rows, day=day, now=now)


def _day_counts(open_slots: QuerySet, tz) -> QuerySet:
    return (
        open_slots.annotate(d=TruncDate("starts_at", tzinfo=tz))
        .values("d")
        .annotate(n=Count("pk"))
        .order_by("d")
        .values_list("d", "n")
    )


def _day_rows(open_slots: QuerySet, start: datetime, end: datetime) -> QuerySet:
    return open_slots.filter(starts_at__gte=start, starts_at__lt=end).values_list(
        "pk", "starts_at", "free", "site__name"
    )


_OPEN_DAYS = CompiledQuery(
    lambda **values: _day_counts(
        _open_slots(**values), timezone.get_default_timezone()
    ),
    **_OPEN_SLOTS_VALUES,
)
_OPEN_DAY_ROWS = CompiledQuery(
    lambda *, day_start, day_end, **values: _day_rows(
        _open_slots(**values), day_start, day_end
    ),
    **_OPEN_SLOTS_VALUES,
    day_start=datetime,
    day_end=datetime,
)


def _slot_day(
    read_days: Callable[[], list[tuple]],
    read_rows: Callable[[datetime, datetime], list[tuple]],
    *,
    day: date | None,
    now: datetime | None,
) -> SlotDay:
    tz = timezone.get_current_timezone()
    changeable_from = (
        now + timedelta(hours=settings.BOOKING_CHANGE_CUTOFF_HOURS) if now else None
    )
    for _attempt in range(SLOT_DAY_READS):
        days = [DayTab(d, n) for d, n in read_days()]
        if not days:
            break
        index = 0
        if day is not None:
            index = next(
                (i for i, tab in enumerate(days) if tab.day >= day), len(days) - 1
            )
        shown = days[index].day
        rows = read_rows(
            _day_start(shown, tz), _day_start(shown + timedelta(days=1), tz)
        )
        listed = group_by_day(rows, changeable_from=changeable_from)
        if listed:
            return SlotDay(
                days,
                listed[0],
                days[index - 1].day if index > 0 else None,
                days[index + 1].day if index + 1 < len(days) else None,
            )
    # No open slot, or places going faster than we can read them: "complet" (the
    # applicant may try again or join the waiting list).
    return SlotDay([], None, None, None)


# Reads of the slot list before saying "complet" when each finds its day emptied.
SLOT_DAY_READS = 3


def _day_start(day: date, tz) -> datetime:
    # The zone gives midnight its offset of that day (DST changes at 2 or 3 h).
    return datetime.combine(day, time.min, tzinfo=tz)


def free_places(
    slot: Slot,
    *,
    now: datetime,
    exclude_hold_token: str = "",
    exclude_offer: int = 0,
    hold_owner: Q | None = None,
) -> int:
    """Free places on a slot: capacity minus confirmed bookings, live holds and open
    waiting-list offers (other than the caller's own hold or offer; with
    ``hold_owner``, the hold ``exclude_hold_token`` is the caller's only if that
    owner holds it: someone else's hold counts as a taken place); call it with the
    slot row locked to act on the answer. One query."""
    own_hold = Q(token=exclude_hold_token)
    if hold_owner is not None:
        own_hold &= hold_owner
    taken = _taken(now=now, own_holds=own_hold, exclude_offer=exclude_offer)
    counts = taken.on(Slot.objects.filter(pk=slot.pk)).values(*TAKEN).get()
    return _places_left(slot.capacity, counts)


def free_places_unlocked_statement(
    *,
    slot_id: int,
    procedure_id: int,
    now: datetime,
    numero_etranger: str = "",
    booking_id: int | None = None,
) -> Statement:
    """Free places on a slot that the démarche offers for self-service, as the
    database has them now, without a lock, the holds of their owner (the numéro
    étranger, or the booking being moved) not counted (a new choice gives them
    back): a statement, its reader gives the number, or None when the démarche has
    no such slot. Enough to refuse a place at once: one is only ever given under the
    slot's lock."""
    owner: str | int
    if numero_etranger:
        query, owner = _FREE_UNLOCKED_OF_NUMERO, numero_etranger
    elif booking_id is not None:
        query, owner = _FREE_UNLOCKED_OF_BOOKING, booking_id
    else:
        raise ValueError("a hold has an owner: a numéro étranger or a booking")
    return query.statement(
        slot_id=slot_id, procedure_id=procedure_id, now=now, owner=owner
    ).then(lambda rows: _places_left(rows[0]["capacity"], rows[0]) if rows else None)


def _free_unlocked(owner_field: str, owner_type: type) -> CompiledQuery:
    def build(*, slot_id: int, procedure_id: int, now: datetime, owner) -> QuerySet:
        offered = Slot.objects.filter(
            pk=slot_id, procedure_id=procedure_id, via_list=False
        )
        taken = _taken(now=now, own_holds=Q(**{owner_field: owner}))
        return taken.on(offered).order_by().values("capacity", *TAKEN)

    build.__name__ = f"free_places_unlocked_of_{owner_field}"
    return CompiledQuery(
        build, slot_id=int, procedure_id=int, now=datetime, owner=owner_type
    )


# Compiled once per process: every choice of a slot reads it first, most of them in
# a rush to be told at once that the place is gone.
_FREE_UNLOCKED_OF_NUMERO = _free_unlocked("numero_etranger", str)
_FREE_UNLOCKED_OF_BOOKING = _free_unlocked("booking_id", int)


def free_places_statement(*, slot_id: int, now: datetime) -> Statement:
    """free_places of a slot, every hold counted, as a statement to send after the
    one that locks the slot's row; its reader gives a function of the slot's
    capacity to the free places (None without the slot)."""
    return _FREE_PLACES.statement(slot_id=slot_id, now=now).then(
        lambda rows: (
            (lambda capacity: _places_left(capacity, rows[0])) if rows else None
        )
    )


def _free_places(*, slot_id: int, now: datetime) -> QuerySet:
    taken = _taken(now=now, own_holds=Q(token=""))  # no hold has an empty token
    return taken.on(Slot.objects.filter(pk=slot_id)).order_by().values(*TAKEN)


_FREE_PLACES = CompiledQuery(_free_places, slot_id=int, now=datetime)


@dataclass(frozen=True)
class BookingChecks:
    """What a new booking must know, read under its slot's lock."""

    free_places: int
    active_reference: str | None  # the numéro's active appointment, if any
    has_past: bool  # the numéro has a confirmed appointment already past
    on_waiting_list: bool  # the numéro has a live waiting-list request
    sms_today: int  # appointment SMS written to the mobile today (TIME_ZONE)


def booking_checks_statement(
    *, slot_id: int, now: datetime, numero_etranger: str, mobile: str, hold_token: str
) -> Statement:
    """Everything a booking checks before it is written, in one query: the slot's
    places taken (the hold ``hold_token`` is the applicant's own only if their numéro
    holds it), the numéro's confirmed appointments, its waiting-list request and the
    appointment SMS its mobile got today. Send it with the slot's row and the
    numéro's and the mobile's locks held (the statements before it); its reader
    gives a function of the slot's capacity to the BookingChecks (None without the
    slot)."""
    day_start, day_end = _today(now)
    return _BOOKING_CHECKS.statement(
        slot_id=slot_id,
        now=now,
        numero_etranger=numero_etranger,
        mobile=mobile,
        hold_token=hold_token,
        day_start=day_start,
        day_end=day_end,
    ).then(_checks_of)


def _checks_of(rows: list[dict]) -> Callable[[int], BookingChecks] | None:
    if not rows:
        return None
    [row] = rows
    return lambda capacity: BookingChecks(
        free_places=_places_left(capacity, row),
        active_reference=row["active"],
        has_past=row["past"],
        on_waiting_list=row["waiting"],
        sms_today=row["sms"],
    )


def _booking_checks(
    *,
    slot_id: int,
    now: datetime,
    numero_etranger: str,
    mobile: str,
    hold_token: str,
    day_start: datetime,
    day_end: datetime,
) -> QuerySet:
    confirmed = Booking.objects.filter(
        numero_etranger=numero_etranger, status=Booking.Status.CONFIRMED
    )
    sms_today = (
        _appointment_sms_between(day_start, day_end)
        .filter(to=mobile)
        .order_by()
        .values("to")
        .annotate(n=Count("pk"))
        .values("n")
    )
    taken = _taken(
        now=now, own_holds=Q(token=hold_token, numero_etranger=numero_etranger)
    )
    return (
        taken.on(Slot.objects.filter(pk=slot_id))
        .annotate(
            active=Subquery(
                confirmed.filter(slot__ends_at__gt=now).values("reference")[:1]
            ),
            past=Exists(confirmed.filter(slot__ends_at__lte=now)),
            waiting=Exists(
                WaitingRequest.objects.filter(
                    numero_etranger=numero_etranger,
                    status__in=WaitingRequest.LIVE,
                )
            ),
            sms=Coalesce(Subquery(sms_today), 0),
        )
        .order_by()
        .values(*TAKEN, "active", "past", "waiting", "sms")
    )


# Compiled once per process: building and compiling its five subqueries was half of
# the CPU a booking spends inside its slot's lock (4 ms).
_BOOKING_CHECKS = CompiledQuery(
    _booking_checks,
    slot_id=int,
    now=datetime,
    numero_etranger=str,
    mobile=str,
    hold_token=str,
    day_start=datetime,
    day_end=datetime,
)


# The SMS an applicant's actions cause (booking, moves, cancellation, and the reminder
# that follows): capped per booking and per number, and only to SMS_ALLOWED_REGIONS.
# Card SMS are not: only agents and production's delivery list write them, once per
# card (and CARD_REMINDER_MAX reminders), to a number the préfecture holds, and a card
# is handed over only after its SMS went; they do not count toward these caps either.
APPOINTMENT_SMS = (
    OutgoingMessage.Kind.BOOKING_CONFIRMED,
    OutgoingMessage.Kind.BOOKING_REMINDER,
    OutgoingMessage.Kind.BOOKING_MOVED,
    OutgoingMessage.Kind.BOOKING_CANCELLED,
)


def appointment_sms_today(now: datetime) -> QuerySet[OutgoingMessage]:
    """The appointment SMS (booking, reminder, move, cancellation) written today
    (TIME_ZONE) and not refused: what the daily caps count."""
    return _appointment_sms_between(*_today(now))


def _today(now: datetime) -> tuple[datetime, datetime]:
    """Today's start and the next day's (TIME_ZONE)."""
    tz = timezone.get_default_timezone()
    day = timezone.localtime(now, tz).date()
    return (
        datetime.combine(day, time.min, tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz),
    )


def _appointment_sms_between(
    start: datetime, end: datetime
) -> QuerySet[OutgoingMessage]:
    return OutgoingMessage.objects.filter(
        channel=OutgoingMessage.Channel.SMS,
        kind__in=APPOINTMENT_SMS,
        created_at__gte=start,
        created_at__lt=end,
    ).exclude(status=OutgoingMessage.Status.REFUSED)


TAKEN = ("booked", "held", "offered")


@dataclass(frozen=True)
class _Taken:
    booked: Coalesce
    held: Coalesce
    offered: Coalesce

    def on(self, slots: QuerySet[Slot]) -> QuerySet[Slot]:
        return slots.annotate(booked=self.booked, held=self.held, offered=self.offered)


def _places_left(capacity: int, taken: dict) -> int:
    return capacity - taken["booked"] - taken["held"] - taken["offered"]


def _taken(*, now: datetime, own_holds: Q, exclude_offer: int = 0) -> _Taken:
    """A slot's places taken, as expressions to annotate it with: confirmed
    bookings, live holds (but ``own_holds``) and open offers (but
    ``exclude_offer``)."""
    held = (
        Hold.objects.filter(slot=OuterRef("pk"), expires_at__gt=now)
        .exclude(own_holds)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return _Taken(
        booked=Coalesce(Subquery(_confirmed()), 0),
        held=Coalesce(Subquery(held), 0),
        offered=Coalesce(Subquery(_open_offers(exclude_offer)), 0),
    )


def _confirmed() -> QuerySet:
    return (
        Booking.objects.filter(slot=OuterRef("pk"), status=Booking.Status.CONFIRMED)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )


def booking_get_active(*, numero_etranger: str, now: datetime) -> Booking | None:
    return (
        Booking.objects.select_related("slot", "slot__site", "procedure")
        .filter(
            numero_etranger=numero_etranger,
            status=Booking.Status.CONFIRMED,
            slot__ends_at__gt=now,
        )
        .first()
    )


def hold_get(*, token: str) -> Hold | None:
    return Hold.objects.filter(token=token).first()


def slot_confirmed_count(*, slot_id: int) -> int:
    """The appointments to come on a slot (an agent's edit must not move them)."""
    return Booking.objects.filter(
        slot_id=slot_id, status=Booking.Status.CONFIRMED
    ).count()


def slot_get(*, pk: int) -> Slot | None:
    return Slot.objects.select_related("site").filter(pk=pk).first()


def booking_get_by_reference(*, reference: str) -> Booking | None:
    return (
        Booking.objects.select_related("slot__site", "procedure")
        .filter(reference=reference)
        .first()
    )


def booking_for_confirmation(*, reference: str) -> Booking | None:
    """The booking its confirmation page shows, with ``last_notice_status``: the SMS
    that told of it last (confirmed, or moved from the waiting list); "refused"
    (the number's daily cap): the page must not say the link went by SMS. One
    query, as for the booking alone."""
    last_notice = (
        OutgoingMessage.objects.filter(
            booking=OuterRef("pk"),
            kind__in=[
                OutgoingMessage.Kind.BOOKING_CONFIRMED,
                OutgoingMessage.Kind.BOOKING_MOVED,
            ],
        )
        .order_by("-pk")
        .values("status")[:1]
    )
    return (
        Booking.objects.select_related("slot__site", "procedure")
        .annotate(last_notice_status=Subquery(last_notice))
        .filter(reference=reference)
        .first()
    )


@dataclass(frozen=True)
class TitleFound:
    """The register's title that an applicant's three details match."""

    title_type: str
    valid_until: date
    has_active_booking: bool  # the numéro has an appointment to come


def title_record_check(
    *, numero_etranger: str, valid_until: date, postal_code: str, now: datetime
) -> TitleFound | None:
    """The register's title with these three details, or None: all three must match;
    with whether its numéro has an appointment to come. One query."""
    [rows] = run_together(
        [
            _TITLE_RECORD.statement(
                numero_etranger=numero_etranger,
                valid_until=valid_until,
                postal_code=postal_code,
                now=now,
            )
        ]
    )
    if not rows:
        return None
    [row] = rows
    return TitleFound(row["title_type"], row["valid_until"], row["active"])


def _title_record(
    *, numero_etranger: str, valid_until: date, postal_code: str, now: datetime
) -> QuerySet:
    active = Booking.objects.filter(
        numero_etranger=OuterRef("numero_etranger"),
        status=Booking.Status.CONFIRMED,
        slot__ends_at__gt=now,
    )
    return (
        TitleRecord.objects.filter(
            numero_etranger=numero_etranger,
            valid_until=valid_until,
            postal_code=postal_code,
        )
        .annotate(active=Exists(active))
        .order_by()
        .values("title_type", "valid_until", "active")
    )


# Compiled once per process: every applicant's identity step reads it.
_TITLE_RECORD = CompiledQuery(
    _title_record, numero_etranger=str, valid_until=date, postal_code=str, now=datetime
)


def folded(field: str) -> Upper:
    """A name column folded as rules.fold_name folds a query: accents off,
    apostrophes and hyphens as spaces, upper case (translate() is PostgreSQL's;
    the laptop's SQLite is given the same, prefecture.apps)."""
    plain = Func(
        F(field),
        Value(rules.NAME_ACCENTED + "'-"),
        Value(rules.NAME_PLAIN + "  "),
        function="translate",
        output_field=CharField(),
    )
    return Upper(plain)


def _name_matches(query: str, *, prefix: str = "") -> Q:
    """The holder whose nom, or nom and prénom in either order, is ``query`` whole
    (accents, case, apostrophes and hyphens aside)."""
    return (
        Q(**{f"{prefix}folded_last": query})
        | Q(**{f"{prefix}folded_last_first": query})
        | Q(**{f"{prefix}folded_first_last": query})
    )


def _with_folded_names(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        folded_last=folded("last_name"),
        folded_last_first=Concat(folded("last_name"), Value(" "), folded("first_name")),
        folded_first_last=Concat(folded("first_name"), Value(" "), folded("last_name")),
    )


def card_list_for_desk(*, query: str) -> list[Card]:
    """Cards matching a numéro étranger (any notation), the holder's nom, or nom and
    prénom, whole (accents and case aside: an agent types from a passport's
    machine-readable line) or an SMS's provider id, with their SMS
    (``desk_messages``); three queries at most (twenty cards at most)."""
    try:
        cards = Card.objects.filter(
            numero_etranger=rules.normalize_numero_etranger(query)
        )
    except rules.InvalidNumero:
        name = rules.fold_name(query)
        by_name = _name_matches(name) if len(name) >= 2 else Q(pk__in=[])
        cards = (
            _with_folded_names(Card.objects.all())
            .filter(
                Q(messages__provider_id=query)
                | Q(messages__idempotency_key=query)
                | by_name
            )
            .distinct()
        )
    return list(
        cards.select_related("site")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=OutgoingMessage.objects.order_by("created_at"),
                to_attr="desk_messages",
            )
        )
        .order_by("-created_at")[:20]
    )


def booking_list_for_day(
    *, site_id: int | None, day: date, query: str = ""
) -> QuerySet[Booking]:
    """The day's appointments by time (all statuses), optionally searched by
    reference, numéro étranger (any notation) or name (part of the nom and prénom,
    in either order, accents and case aside). One query."""
    bookings = Booking.objects.select_related("slot__site", "procedure").filter(
        slot__starts_at__date=day
    )
    if site_id:
        bookings = bookings.filter(slot__site_id=site_id)
    if query:
        try:
            numero = rules.normalize_numero_etranger(query)
        except rules.InvalidNumero:
            name = rules.fold_name(query)
            by_name = (
                Q(folded_last_first__contains=name)
                | Q(folded_first_last__contains=name)
                if name
                else Q(pk__in=[])
            )
            bookings = _with_folded_names(bookings).filter(
                Q(reference__iexact=query.strip()) | by_name
            )
        else:
            bookings = bookings.filter(numero_etranger=numero)
    return bookings.order_by("slot__starts_at", "last_name")


def closure_list_for_day(*, day: date, site_id: int | None) -> QuerySet[ClosureDay]:
    """The closures of a day (of one site, or of all): the agenda says them."""
    closures = ClosureDay.objects.select_related("site").filter(day=day)
    if site_id:
        closures = closures.filter(site_id=site_id)
    return closures.order_by("site__name", "period")


def booking_days_for(*, query: str, limit: int = 5) -> list[tuple[date, str]]:
    """The days (Paris) and references of the appointments a reference or a numéro
    étranger (any notation) names, latest first: where the agenda's search finds
    them when the day shown has none. One query."""
    try:
        matches = Q(numero_etranger=rules.normalize_numero_etranger(query))
    except rules.InvalidNumero:
        matches = Q(reference__iexact=query.strip())
    found = (
        Booking.objects.filter(matches)
        .select_related("slot")
        .order_by("-slot__starts_at")[:limit]
    )
    return [(timezone.localdate(b.slot.starts_at), b.reference) for b in found]


@dataclass(frozen=True)
class WaitingPlace:
    position: int  # 1 = next to be offered a place that fits them both
    waiting: int  # everyone waiting for the démarche


def _competing(request: WaitingRequest) -> QuerySet[WaitingRequest]:
    owner = request.procedure.slots_procedure_id
    return WaitingRequest.objects.filter(
        Q(procedure_id=owner) | Q(procedure__booking_procedure_id=owner),
        status__in=WaitingRequest.LIVE,
    )


def waiting_joined_sms_refused(request: WaitingRequest) -> bool:
    """Whether the SMS with the status link was refused (a daily cap): the page
    must not say it was sent."""
    return request.messages.filter(
        kind=OutgoingMessage.Kind.WAITING_JOINED,
        status=OutgoingMessage.Status.REFUSED,
    ).exists()


def waiting_place(request: WaitingRequest) -> WaitingPlace:
    """Where a live request stands: how many of those who can take the same places
    (a site in common) come before it in the order of urgency, and how many wait
    for the démarche in all. Two queries."""
    p, v, j = request.priority, request.title_valid_until, request.joined_at
    before = (
        Q(priority__gt=p)
        | Q(priority=p, title_valid_until__lt=v)
        | Q(priority=p, title_valid_until=v, joined_at__lt=j)
        | Q(priority=p, title_valid_until=v, joined_at=j, pk__lt=request.pk)
    )
    competing = _competing(request)
    ahead = (
        competing.filter(before, sites__in=request.sites.all())
        .exclude(pk=request.pk)
        .values("pk")
        .distinct()
        .count()
    )
    return WaitingPlace(position=ahead + 1, waiting=competing.count())


def waiting_request_get_live(*, numero_etranger: str) -> WaitingRequest | None:
    return (
        WaitingRequest.objects.select_related("procedure")
        .filter(numero_etranger=numero_etranger, status__in=WaitingRequest.LIVE)
        .first()
    )


def waiting_token_live(*, numero_etranger: str) -> str | None:
    """The token of the numéro's live waiting request (at most one, a constraint
    says so), or None: what the slot page links to when nothing is free."""
    [rows] = run_together(
        [_WAITING_TOKEN_LIVE.statement(numero_etranger=numero_etranger)]
    )
    return rows[0]["token"] if rows else None


def _waiting_token_live(*, numero_etranger: str) -> QuerySet:
    return (
        WaitingRequest.objects.filter(
            numero_etranger=numero_etranger, status__in=WaitingRequest.LIVE
        )
        .order_by()
        .values("token")[:1]
    )


# Compiled once per process: every applicant who finds no place left reads it (in a
# rush, each loser's refused choice; compiling it was most of that page's query).
_WAITING_TOKEN_LIVE = CompiledQuery(_waiting_token_live, numero_etranger=str)


def waiting_offer_open(request: WaitingRequest) -> WaitingOffer | None:
    """The request's open offer, if any."""
    return (
        request.offers.select_related("slot__site")
        .filter(status=WaitingOffer.Status.OPEN)
        .first()
    )
