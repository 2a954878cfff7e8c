"""Figures for the supervisors' statistics page; a fixed number of queries whatever
the period, and SVG bar charts computed here so the page needs no script."""

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from booking.models import Booking, Card, OutgoingMessage, Procedure
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
    }
    statuses = dict(OutgoingMessage.Status.choices)
    sms_labels = {
        "sent": statuses[OutgoingMessage.Status.SENT],
        "delivered": statuses[OutgoingMessage.Status.DELIVERED],
        "undelivered": statuses[OutgoingMessage.Status.UNDELIVERED],
        "failed": statuses[OutgoingMessage.Status.FAILED],
        "waiting": statuses[OutgoingMessage.Status.PENDING],
    }
    waiting = Card.objects.filter(status=Card.Status.READY).aggregate(
        all=Count("pk"),
        old=Count("pk", filter=Q(ready_at__lt=now - timedelta(days=14))),
    )
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
    )


def statistics_period(params, *, today: date) -> tuple[date, date]:
    """The period asked for (`du`, `au`, ISO dates), else the last four weeks and the
    next two. Whatever is typed, a period the page can draw: in order, within five
    years of today, at most three months long."""
    first_day, last_day = today - timedelta(days=27), today + timedelta(days=14)
    earliest, latest = today - timedelta(days=5 * 366), today + timedelta(days=5 * 366)
    with contextlib.suppress(ValueError):
        first_day = date.fromisoformat(params.get("du", ""))
    with contextlib.suppress(ValueError):
        last_day = date.fromisoformat(params.get("au", ""))
    first_day = min(max(first_day, earliest), latest)
    last_day = min(max(last_day, earliest), latest)
    if last_day < first_day:
        first_day, last_day = last_day, first_day
    return first_day, min(last_day, first_day + timedelta(days=92))
