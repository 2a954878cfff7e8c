"""The bench's data, written in bulk in the bench database: each scenario run gets
its own démarche, slots and register entries, so runs never see each other's."""

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from booking.models import Card, Procedure, Site, Slot, TitleRecord, WaitingRequest

VALID_UNTIL = date(2030, 6, 30)
POSTAL_CODE = "45000"
_numeros = itertools.count(1)


@dataclass(frozen=True)
class Applicant:
    numero: str
    valid_until: str  # as typed in the form
    postal_code: str


@dataclass(frozen=True)
class Opening:
    procedure: Procedure
    slots: list[Slot]

    @property
    def places(self) -> int:
        return sum(s.capacity for s in self.slots)


def site() -> Site:
    found, _ = Site.objects.get_or_create(
        name="Préfecture du Loiret — banc d'essai",
        defaults={
            "address": "181 rue de Bourgogne\n45000 Orléans",
            "opening_hours_fr": "Du lundi au vendredi, de 9h à 12h.",
        },
    )
    return found


def opening(
    slug: str, *, slots: int, capacity: int, every_minutes: int = 10
) -> Opening:
    """A counter démarche with ``slots`` slots published a minute ago, from tomorrow
    on (inside its booking window), ``every_minutes`` apart."""
    procedure = Procedure.objects.create(
        slug=slug,
        name_fr=f"Banc d'essai {slug}",
        channel=Procedure.ChannelChoice.COUNTER,
        min_notice_hours=2,
        max_horizon_days=90,
    )
    now = timezone.now()
    first = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    where = site()
    created = Slot.objects.bulk_create(
        Slot(
            site=where,
            procedure=procedure,
            starts_at=first + timedelta(minutes=every_minutes * i),
            ends_at=first + timedelta(minutes=every_minutes * i + every_minutes),
            capacity=capacity,
            published_at=now - timedelta(minutes=1),
        )
        for i in range(slots)
    )
    return Opening(procedure, created)


def applicants(count: int) -> list[Applicant]:
    """``count`` new register entries (numéros never used before in this database)."""
    numeros = [f"99{next(_numeros):08d}" for _ in range(count)]
    TitleRecord.objects.bulk_create(
        TitleRecord(
            numero_etranger=numero,
            valid_until=VALID_UNTIL,
            postal_code=POSTAL_CODE,
            title_type=TitleRecord.TitleType.CARTE_SEJOUR,
        )
        for numero in numeros
    )
    typed = VALID_UNTIL.strftime("%d/%m/%Y")
    return [Applicant(numero, typed, POSTAL_CODE) for numero in numeros]


_card_numeros = itertools.count(1)


def cards(count: int) -> list[int]:
    """``count`` cards in production, each with its own (fictitious) mobile."""
    where = site()
    created = Card.objects.bulk_create(
        Card(
            numero_etranger=f"98{(n := next(_card_numeros)):08d}",
            last_name="Essai",
            first_name="Banc",
            mobile=f"+336{n:08d}",
            site=where,
        )
        for _ in range(count)
    )
    return [card.pk for card in created]


def clear_baseline_bookings(procedure: Procedure) -> None:
    """Baseline (b) and (c) write bookings with random references: clearing them
    between runs keeps the odds of a reference collision negligible."""
    # Raw SQL: the ORM's delete() would write a history row for each one.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM booking_booking WHERE procedure_id = %s", [procedure.pk]
        )


def vacuum_analyze() -> None:
    """Fresh statistics after bulk loads, as autovacuum would give a live database."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- the waiting list -------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A démarche with free places nobody has been offered yet, and people waiting
    for it (each request's facts kept for the checks)."""

    procedure: Procedure
    slots: list[Slot]
    requests: list[WaitingRequest]
    sites: dict[int, frozenset[int]]  # request -> the sites it can go to

    @property
    def places(self) -> int:
        return sum(s.capacity for s in self.slots)


_waiting_numeros = itertools.count(1)
WAITING_TIMES = ((9, 0), (10, 0), (11, 30), (14, 0), (15, 0), (16, 30))


def waiting_list(
    slug: str, *, people: int, slots: int, capacity: int, seed: int
) -> Waiting:
    """A counter démarche in ``direct`` mode with ``slots`` slots of ``capacity``
    places at two sites (mornings and afternoons from the day after tomorrow,
    weekends included), and ``people`` on its list, each with a register entry:
    varied urgency (agent priority for a few, titles expiring over two years, joined
    over two months), one or both sites, a few half-days they cannot come. Written
    in bulk: no trigger runs, nothing is offered yet."""
    rng = random.Random(seed)
    procedure = Procedure.objects.create(
        slug=slug,
        name_fr=f"Banc d'essai {slug}",
        channel=Procedure.ChannelChoice.COUNTER,
        min_notice_hours=2,
        max_horizon_days=90,
    )
    places = [site(), second_site()]
    now = timezone.now()
    tz = timezone.get_default_timezone()
    first_day = timezone.localdate(now) + timedelta(days=2)
    created = Slot.objects.bulk_create(
        Slot(
            site=places[i % 2],
            procedure=procedure,
            starts_at=(
                start := datetime.combine(
                    first_day + timedelta(days=i // len(WAITING_TIMES)),
                    time(*WAITING_TIMES[i % len(WAITING_TIMES)]),
                    tzinfo=tz,
                )
            ),
            ends_at=start + timedelta(minutes=30),
            capacity=capacity,
            published_at=now - timedelta(minutes=1),
        )
        for i in range(slots)
    )
    numeros = [f"97{next(_waiting_numeros):08d}" for _ in range(people)]
    expiries = [date(2026, 12, 1) + timedelta(days=rng.randrange(730)) for _ in numeros]
    TitleRecord.objects.bulk_create(
        TitleRecord(
            numero_etranger=numero,
            valid_until=valid_until,
            postal_code=POSTAL_CODE,
            title_type=TitleRecord.TitleType.CARTE_SEJOUR,
        )
        for numero, valid_until in zip(numeros, expiries, strict=True)
    )
    joined = now - timedelta(days=60)
    requests = WaitingRequest.objects.bulk_create(
        WaitingRequest(
            numero_etranger=numero,
            procedure=procedure,
            unavailable_half_days=sum(
                {1 << rng.randrange(10) for _ in range(rng.choice([0, 0, 0, 1, 2, 3]))}
            ),
            last_name="Essai",
            first_name="Banc",
            mobile=f"+336{int(numero[2:]):08d}",
            title_valid_until=valid_until,
            joined_at=joined + timedelta(seconds=rng.randrange(60 * 24 * 3600)),
            status_changed_at=now,
            priority=rng.choices([0, 1, 2], weights=[85, 10, 5])[0],
        )
        for numero, valid_until in zip(numeros, expiries, strict=True)
    )
    sites = {
        r.pk: frozenset(
            s.pk for s in rng.choice([[places[0]], [places[1]], places, places])
        )
        for r in requests
    }
    through = WaitingRequest.sites.through
    through.objects.bulk_create(
        through(waitingrequest_id=pk, site_id=site_id)
        for pk, chosen in sites.items()
        for site_id in chosen
    )
    return Waiting(procedure, created, requests, sites)


def second_site() -> Site:
    found, _ = Site.objects.get_or_create(
        name="Préfecture du Loiret — banc d'essai, second site",
        defaults={
            "address": "Place du Martroi\n45000 Orléans",
            "opening_hours_fr": "Du lundi au vendredi, de 9h à 16h.",
        },
    )
    return found
