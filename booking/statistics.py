"""Figures for the supervisors' statistics page; a fixed number of queries whatever
the period, and SVG bar charts computed here so the page needs no script."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from booking.models import (
    Booking,
    Card,
    OutgoingMessage,
    Procedure,
    WaitingOffer,
    WaitingRequest,
)
from booking.selectors import slot_list_open

CHART_HEIGHT = 120  # px of the tallest bar
DAY_BAR_WIDTH = 24


@dataclass
class DemarcheFigures:
    procedure: Procedure
    per_day: dict[date, int] = field(default_factory=dict)
    honoured: int = 0
    no_show: int = 0
    next_free: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.per_day.values())

    @property
    def no_show_rate(self) -> float | None:
        seen = self.honoured + self.no_show
        return self.no_show / seen if seen else None


@dataclass
class WaitingFigures:
    """A démarche's waiting list (``procedure`` None: all of them together)."""

    procedure: Procedure | None
    waiting_now: int = 0  # live requests (waiting, or an offer to answer)
    # From joining to the accepted offer, for the requests booked through the list
    # in the period (not those that asked to bring an appointment earlier).
    waits: list[timedelta] = field(default_factory=list)
    offers_accepted: int = 0
    offers_declined: int = 0
    offers_expired: int = 0  # places lost: kept for someone who never answered

    @property
    def booked(self) -> int:
        return len(self.waits)

    @property
    def median_wait(self) -> timedelta | None:
        if not self.waits:
            return None
        ordered, middle = sorted(self.waits), len(self.waits) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2

    @property
    def median_wait_words(self) -> str:
        return duration_words(self.median_wait)

    @property
    def offers_answered(self) -> int:
        """Offers with an outcome: accepted, declined or left unanswered (not those
        still open, nor those cancelled when the person left the list)."""
        return self.offers_accepted + self.offers_declined + self.offers_expired

    @property
    def accepted_rate(self) -> float | None:
        answered = self.offers_answered
        return self.offers_accepted / answered if answered else None

    def add(self, other: "WaitingFigures") -> None:
        self.waiting_now += other.waiting_now
        self.waits += other.waits
        self.offers_accepted += other.offers_accepted
        self.offers_declined += other.offers_declined
        self.offers_expired += other.offers_expired


def duration_words(delta: timedelta | None) -> str:
    """A wait as a supervisor reads it: "3 j 4 h", "4 h 5 min", "12 min"."""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds()) // 60
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return _("%(days)d j %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class Statistics:
    first_day: date
    last_day: date
    days: list[date]
    demarches: list[DemarcheFigures]
    totals_per_day: list[int]
    day_bars: list[Bar]
    sms: dict[str, int]
    sms_bars: list[Bar]
    cards_waiting: int
    cards_waiting_over_14_days: int
    waiting: list[WaitingFigures]
    waiting_total: WaitingFigures

    @property
    def day_rows(self) -> list[tuple[date, list[int], int]]:
        """The table under the chart: each day, the count per démarche, the total."""
        return [
            (day, [figures.per_day.get(day, 0) for figures in self.demarches], total)
            for day, total in zip(self.days, self.totals_per_day, strict=True)
        ]

    @property
    def day_chart_width(self) -> int:
        return len(self.day_bars) * DAY_BAR_WIDTH

    @property
    def total(self) -> int:
        return sum(self.totals_per_day)

    @property
    def honoured(self) -> int:
        return sum(figures.honoured for figures in self.demarches)

    @property
    def no_show(self) -> int:
        return sum(figures.no_show for figures in self.demarches)

    @property
    def no_show_rate(self) -> float | None:
        honoured = sum(figures.honoured for figures in self.demarches)
        no_show = sum(figures.no_show for figures in self.demarches)
        return no_show / (honoured + no_show) if honoured + no_show else None


def _bars(values: list[tuple[str, int]], *, width: int) -> list[Bar]:
    tallest = max((value for _label, value in values), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(values):
        height = round(value * CHART_HEIGHT / tallest)
        bars.append(Bar(label, value, index * width, CHART_HEIGHT - height, height))
    return bars


def statistics_for(*, first_day: date, last_day: date, now: datetime) -> Statistics:
    paris = ZoneInfo(settings.TIME_ZONE)
    days = [
        first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)
    ]
    procedures = {
        procedure.pk: DemarcheFigures(procedure)
        for procedure in Procedure.objects.filter(
            channel=Procedure.ChannelChoice.COUNTER
        ).order_by("name_fr")
    }
    rows = (
        Booking.objects.filter(
            slot__starts_at__date__gte=first_day,
            slot__starts_at__date__lte=last_day,
        )
        .exclude(status=Booking.Status.CANCELLED)
        .annotate(day=TruncDate("slot__starts_at", tzinfo=paris))
        .values("procedure_id", "day")
        .annotate(
            booked=Count("pk"),
            honoured=Count("pk", filter=Q(status=Booking.Status.HONOURED)),
            no_show=Count("pk", filter=Q(status=Booking.Status.NO_SHOW)),
        )
    )
    for row in rows:
        figures = procedures.get(row["procedure_id"])
        if figures is None:
            continue
        figures.per_day[row["day"]] = row["booked"]
        figures.honoured += row["honoured"]
        figures.no_show += row["no_show"]
    for figures in procedures.values():
        if figures.procedure.is_active:
            first_open = slot_list_open(procedure=figures.procedure, now=now).first()
            figures.next_free = first_open.starts_at if first_open else None

    totals = [sum(f.per_day.get(day, 0) for f in procedures.values()) for day in days]
    since = now - timedelta(days=(last_day - first_day).days + 1)
    by_status = dict(
        OutgoingMessage.objects.filter(
            created_at__gte=since, channel=OutgoingMessage.Channel.SMS
        )
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    sms = {
        "sent": by_status.get(OutgoingMessage.Status.SENT, 0),
        "delivered": by_status.get(OutgoingMessage.Status.DELIVERED, 0),
        "undelivered": by_status.get(OutgoingMessage.Status.UNDELIVERED, 0),
        "failed": by_status.get(OutgoingMessage.Status.FAILED, 0),
        "waiting": by_status.get(OutgoingMessage.Status.PENDING, 0)
        + by_status.get(OutgoingMessage.Status.SENDING, 0),
        # Never sent (a number's daily cap, a foreign number): people not told.
        "refused": by_status.get(OutgoingMessage.Status.REFUSED, 0),
    }
    statuses = dict(OutgoingMessage.Status.choices)
    sms_labels = {
        "sent": statuses[OutgoingMessage.Status.SENT],
        "delivered": statuses[OutgoingMessage.Status.DELIVERED],
        "undelivered": statuses[OutgoingMessage.Status.UNDELIVERED],
        "failed": statuses[OutgoingMessage.Status.FAILED],
        "waiting": statuses[OutgoingMessage.Status.PENDING],
        "refused": statuses[OutgoingMessage.Status.REFUSED],
    }
    waiting = Card.objects.filter(status=Card.Status.READY).aggregate(
        all=Count("pk"),
        old=Count("pk", filter=Q(ready_at__lt=now - timedelta(days=14))),
    )
    waiting_list = _waiting_figures(
        list(procedures.values()),
        since=datetime.combine(first_day, time.min, tzinfo=paris),
        until=datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=paris),
    )
    waiting_total = WaitingFigures(procedure=None)
    for demarche_list in waiting_list:
        waiting_total.add(demarche_list)
    return Statistics(
        first_day=first_day,
        last_day=last_day,
        days=days,
        demarches=list(procedures.values()),
        totals_per_day=totals,
        day_bars=_bars(
            [(f"{day:%d/%m}", total) for day, total in zip(days, totals, strict=True)],
            width=DAY_BAR_WIDTH,
        ),
        sms=sms,
        sms_bars=_bars([(str(sms_labels[k]), v) for k, v in sms.items()], width=90),
        cards_waiting=waiting["all"],
        cards_waiting_over_14_days=waiting["old"],
        waiting=waiting_list,
        waiting_total=waiting_total,
    )


def _waiting_figures(
    demarches: list[DemarcheFigures], *, since: datetime, until: datetime
) -> list[WaitingFigures]:
    """Each démarche's waiting list: people waiting now; over the period, the
    offers made by outcome, and the waits of those booked through the list (by the
    day they accepted). Three queries."""
    by_id = {f.procedure.pk: WaitingFigures(f.procedure) for f in demarches}
    live = (
        WaitingRequest.objects.filter(status__in=WaitingRequest.LIVE)
        .values("procedure_id")
        .annotate(n=Count("pk"))
        .values_list("procedure_id", "n")
    )
    for procedure_id, count in live:
        if procedure_id in by_id:
            by_id[procedure_id].waiting_now = count
    outcomes = (
        WaitingOffer.objects.filter(offered_at__gte=since, offered_at__lt=until)
        .values("request__procedure_id", "status")
        .annotate(n=Count("pk"))
        .values_list("request__procedure_id", "status", "n")
    )
    counters: dict[str, str] = {
        WaitingOffer.Status.ACCEPTED: "offers_accepted",
        WaitingOffer.Status.DECLINED: "offers_declined",
        WaitingOffer.Status.EXPIRED: "offers_expired",
    }
    for procedure_id, status, count in outcomes:
        if procedure_id in by_id and status in counters:
            setattr(by_id[procedure_id], counters[status], count)
    booked = WaitingOffer.objects.filter(
        status=WaitingOffer.Status.ACCEPTED,
        answered_at__gte=since,
        answered_at__lt=until,
        request__wants_earlier=False,
    ).values_list("request__procedure_id", "request__joined_at", "answered_at")
    for procedure_id, joined_at, answered_at in booked:
        if procedure_id in by_id and answered_at is not None:
            by_id[procedure_id].waits.append(answered_at - joined_at)
    return list(by_id.values())


def _typed_day(params, name: str) -> date | None:
    try:
        return date.fromisoformat(params.get(name, ""))
    except ValueError:
        return None


def statistics_period(params, *, today: date) -> tuple[date, date]:
    """The period asked for (`du`, `au`, ISO dates), else the last four weeks and the
    next two. Whatever is typed, a period the page can draw: in order, within five
    years of today, at most three months long."""
    first_day = _typed_day(params, "du") or today - timedelta(days=27)
    last_day = _typed_day(params, "au") or today + timedelta(days=14)
    earliest, latest = today - timedelta(days=5 * 366), today + timedelta(days=5 * 366)
    first_day = min(max(first_day, earliest), latest)
    last_day = min(max(last_day, earliest), latest)
    if last_day < first_day:
        first_day, last_day = last_day, first_day
    return first_day, min(last_day, first_day + timedelta(days=92))


def period_adjusted(params, period: tuple[date, date]) -> bool:
    """Both ends were typed, and the period shown is not the one typed (too long,
    inverted, too far, not a date): the page says so."""
    typed = (params.get("du", ""), params.get("au", ""))
    return all(typed) and (_typed_day(params, "du"), _typed_day(params, "au")) != period
