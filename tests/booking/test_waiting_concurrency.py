"""The waiting list under concurrency, on PostgreSQL with real threads (one database
connection each): 200 requests and 50 places opened at once, two allocators, people
accepting, declining and leaving, a self-service booker on the same slots, and a
monitor that photographs the database under the allocator's lock.

No inversion, as checked here: the allocator decides one offer at a time under the
démarche's advisory lock, and the monitor takes the same lock to read everything in
one statement (one snapshot). Between two photographs the decisions are the offers
whose ids fall between the two highest offer ids seen (ids are drawn under the lock).
A request seen waiting on both photographs and offered nothing in between was
waiting during every one of those decisions (a request only leaves "waiting" through
an offer, or for good); so none of those offers may have gone to a less urgent
request, for a place this one fits and was never offered before.

Run alone: `.venv/bin/python -m pytest tests/booking/test_waiting_concurrency.py -v -s`
(prints the figures)."""

import json
import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from django.db import connection, transaction
from django.utils import timezone

from booking import rules, selectors, services
from booking.errors import (
    AlreadyBooked,
    OfferClosed,
    RequestNotLive,
    SlotFull,
    SlotNotBookable,
)
from booking.models import (
    Booking,
    BookingEvent,
    Hold,
    Procedure,
    Slot,
    WaitingOffer,
    WaitingRequest,
)
from booking.services.locks import advisory_lock
from booking.services.offer_answers import Accepted
from tests.clock import PARIS
from tests.factories import (
    BookingFactory,
    ProcedureFactory,
    SiteFactory,
    SlotFactory,
    WaitingRequestFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAITING, OFFERED = WaitingRequest.Status.WAITING, WaitingRequest.Status.OFFERED
OPEN = WaitingOffer.Status.OPEN
LIVE = {WAITING, OFFERED}
# What an answer may meet when someone else was quicker: nothing else.
LOST_RACES = (OfferClosed, RequestNotLive, AlreadyBooked)


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL
    settings.WAITING_MAX_MISSED = 2


@dataclass(frozen=True)
class Person:
    """A request's fixed facts, as the checks need them."""

    pk: int
    numero: str
    urgency: tuple
    sites: frozenset[int]
    unavailable: int
    before: datetime | None  # its appointment, when it asked for an earlier place


@dataclass(frozen=True)
class Place:
    pk: int
    site: int
    starts_at: datetime
    capacity: int
    via_list: bool


def fits(person: Person, place: Place) -> bool:
    return rules.is_waiting_compatible(
        site_id=place.site,
        starts_at=place.starts_at,
        sites=person.sites,
        unavailable=person.unavailable,
        before=person.before,
        tz=PARIS,
    )


# --- the scene ----------------------------------------------------------------------


@dataclass
class Scene:
    procedure: Procedure
    people: dict[int, Person]
    places: dict[int, Place]
    list_numeros: list[str]


def scene(rng: random.Random, *, requests: int = 200, earlier: int = 10) -> Scene:
    """Two sites; 25 slots of 2 places (50 places) on weekday mornings and
    afternoons and a Saturday, two in three kept for the list; ``requests`` people
    waiting with mixed priorities, title expiries (many alike), sites and excluded
    half-days, ``earlier`` of whom already have an appointment (a later one, 40 days
    out) and want an earlier place."""
    procedure = ProcedureFactory(min_notice_hours=2, max_horizon_days=60)
    sites = [SiteFactory(), SiteFactory()]
    today = timezone.localdate()
    days = [today + timedelta(days=d) for d in range(3, 40)]
    weekdays = [d for d in days if d.weekday() < 5][:12]
    saturday = next(d for d in days if d.weekday() == 5)
    moments = [
        datetime(d.year, d.month, d.day, h, m, tzinfo=PARIS)
        for d in weekdays
        for h, m in ((9, 0), (11, 30), (14, 0), (16, 30))
    ]
    weekend = datetime(saturday.year, saturday.month, saturday.day, 10, tzinfo=PARIS)
    chosen = [*sorted(rng.sample(moments, 24)), weekend]
    published = timezone.now() - timedelta(minutes=1)
    slots = [
        SlotFactory(
            procedure=procedure,
            site=sites[i % 2],
            starts_at=moment,
            ends_at=moment + timedelta(minutes=30),
            capacity=2,
            published_at=published,
            via_list=i % 3 != 0,
        )
        for i, moment in enumerate(chosen)
    ]
    late = today + timedelta(days=45)
    late_slots = [
        SlotFactory(
            procedure=procedure,
            site=sites[i % 2],
            starts_at=datetime(late.year, late.month, late.day, 9, tzinfo=PARIS)
            + timedelta(minutes=30 * i),
            capacity=1,
            published_at=published,
        )
        for i in range(earlier)
    ]
    titles = [date(2026, 12, 1) + timedelta(days=15 * k) for k in range(30)]
    joined = timezone.now() - timedelta(days=30)
    people = {}
    for i in range(requests):
        which = rng.choice([[sites[0]], [sites[1]], sites, sites])
        unavailable = 0
        for _ in range(rng.choice([0, 0, 1, 2, 4])):
            unavailable |= 1 << rng.randrange(len(rules.HALF_DAY_CODES))
        booking = None
        if i < earlier:
            booking = BookingFactory(
                slot=late_slots[i], procedure=procedure, numero_etranger=f"52{i:08d}"
            )
        request = WaitingRequestFactory(
            procedure=procedure,
            numero_etranger=f"52{i:08d}",
            sites=which,
            unavailable_half_days=unavailable,
            priority=rng.choices([0, 1, 2], weights=[80, 15, 5])[0],
            title_valid_until=rng.choice(titles),
            # Many joined in the same minute: the id breaks the tie.
            joined_at=joined + timedelta(minutes=rng.randrange(60 * 24 * 20) // 7 * 7),
            booking=booking,
            wants_earlier=booking is not None,
        )
        people[request.pk] = Person(
            pk=request.pk,
            numero=request.numero_etranger,
            urgency=rules.urgency_key(
                priority=request.priority,
                title_valid_until=request.title_valid_until,
                joined_at=request.joined_at,
                pk=request.pk,
            ),
            sites=frozenset(s.pk for s in which),
            unavailable=unavailable,
            before=booking.slot.starts_at if booking else None,
        )
    places = {
        s.pk: Place(s.pk, s.site_id, s.starts_at, s.capacity, s.via_list)
        for s in [*slots, *late_slots]
    }
    return Scene(procedure, people, places, [p.numero for p in people.values()])


# --- photographs under the allocator's lock -----------------------------------------


@dataclass
class Photo:
    max_offer: int
    status: dict[int, str]  # request -> status
    offers: list[tuple[int, int, int, str]]  # (offer, request, slot, status)
    slots: list[tuple[int, int, int, int, int]]  # (slot, capacity, booked, open, held)
    bookings: list[tuple[str, int]]  # confirmed: (numéro, slot)


def _photo_sql() -> str:
    r, o = WaitingRequest._meta.db_table, WaitingOffer._meta.db_table
    s, b, h = Slot._meta.db_table, Booking._meta.db_table, Hold._meta.db_table
    return f"""
    SELECT
      (SELECT coalesce(max(id), 0) FROM {o}),
      (SELECT coalesce(json_agg(json_build_array(id, status)), '[]')
         FROM {r} WHERE procedure_id = %(p)s),
      (SELECT coalesce(json_agg(json_build_array(o.id, o.request_id, o.slot_id,
                                                 o.status)), '[]')
         FROM {o} o JOIN {r} r ON r.id = o.request_id WHERE r.procedure_id = %(p)s),
      (SELECT coalesce(json_agg(json_build_array(s.id, s.capacity,
          (SELECT count(*) FROM {b} WHERE slot_id = s.id AND status = 'confirmed'),
          (SELECT count(*) FROM {o} WHERE slot_id = s.id AND status = 'open'),
          (SELECT count(*) FROM {h} WHERE slot_id = s.id AND expires_at > %(now)s)
        )), '[]') FROM {s} s WHERE s.procedure_id = %(p)s),
      (SELECT coalesce(json_agg(json_build_array(numero_etranger, slot_id)), '[]')
         FROM {b} WHERE status = 'confirmed')
    """  # noqa: S608 (our own table names)


def photograph(procedure_id: int) -> Photo:
    """Everything the checks need, in one statement (one snapshot), taken while no
    allocator is deciding (their lock)."""
    with transaction.atomic():
        advisory_lock("waiting-offers", str(procedure_id))
        with connection.cursor() as cursor:
            cursor.execute(_photo_sql(), {"p": procedure_id, "now": timezone.now()})
            row = cursor.fetchone()
    parsed = [json.loads(v) if isinstance(v, str) else v for v in row[1:]]
    statuses, offers, slots, bookings = parsed
    return Photo(
        max_offer=row[0],
        status=dict(statuses),
        offers=[tuple(o) for o in offers],
        slots=[tuple(s) for s in slots],
        bookings=[tuple(b) for b in bookings],
    )


def broken_invariants(photo: Photo, world: Scene) -> list[str]:
    """What must hold at every instant: a place given at most once (confirmed +
    open offers + live holds <= capacity), one live request and one open offer per
    numéro, never an open offer beside a confirmed booking (but the appointment a
    person asked to bring earlier), a request "offered" exactly when it has an open
    offer."""
    found = []
    for slot, capacity, booked, open_, held in photo.slots:
        if booked + open_ + held > capacity:
            found.append(
                f"slot {slot}: {booked} booked + {open_} offered + {held} held "
                f"> {capacity}"
            )
    live = Counter(
        world.people[pk].numero for pk, s in photo.status.items() if s in LIVE
    )
    found += [f"numéro {n}: {k} live requests" for n, k in live.items() if k > 1]
    open_offers = [o for o in photo.offers if o[3] == OPEN]
    per_numero = Counter(world.people[o[1]].numero for o in open_offers)
    found += [f"numéro {n}: {k} open offers" for n, k in per_numero.items() if k > 1]
    confirmed = Counter(n for n, _slot in photo.bookings)
    found += [f"numéro {n}: {k} bookings" for n, k in confirmed.items() if k > 1]
    for _offer, request, _slot, _status in open_offers:
        person = world.people[request]
        if confirmed[person.numero] and person.before is None:
            found.append(f"numéro {person.numero}: an open offer and a booking")
    holders = Counter(o[1] for o in open_offers)
    for pk, status in photo.status.items():
        if (status == OFFERED) != (holders[pk] == 1):
            found.append(f"request {pk} is {status} with {holders[pk]} open offers")
    return found


def inversions(photos: list[Photo], world: Scene) -> tuple[list[str], int]:
    """Offers that went to a request while a more urgent one that fits the place
    (and was never offered it) was waiting, as the photographs prove it (module
    docstring). Returns them and the number of (offer, waiting request) pairs
    checked."""
    found, checked = [], 0
    offers = {}
    for photo in photos:
        offers.update({o[0]: o for o in photo.offers})
    offered_before: dict[tuple[int, int], int] = {}  # (request, slot) -> first offer
    for offer_id, request, slot, _status in sorted(offers.values()):
        offered_before.setdefault((request, slot), offer_id)
    for earlier, later in pairwise(photos):
        # (Ids, not a range: a sequence has gaps, rolled-back draws.)
        decided = sorted(o for o in later.offers if o[0] > earlier.max_offer)
        touched = {o[1] for o in decided}
        waited = [
            world.people[pk]
            for pk, status in earlier.status.items()
            if status == WAITING
            and later.status.get(pk) == WAITING
            and pk not in touched
        ]
        for offer_id, request, slot, _status in decided:
            given = world.people[request]
            place = world.places[slot]
            for person in waited:
                checked += 1
                if (
                    person.urgency < given.urgency
                    and fits(person, place)
                    and offered_before.get((person.pk, slot), offer_id) >= offer_id
                ):
                    found.append(
                        f"offer {offer_id} (slot {slot}) went to request "
                        f"{request} while request {person.pk}, more urgent, waited"
                    )
    return found, checked


# --- the actors -----------------------------------------------------------------------


class Actors:
    """Threads that run until told to stop, each with its own connection, keeping
    what they did and any exception they should not have met."""

    def __init__(self):
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.failures: list[str] = []
        self.counts: Counter = Counter()
        self.lock = threading.Lock()

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def start(self, name: str, body) -> None:
        def run():
            try:
                body()
            except Exception as error:  # the test reports it
                self.failures.append(f"{name}: {type(error).__name__}: {error}")
                self.stop.set()
            finally:
                connection.close()

        thread = threading.Thread(target=run, name=name)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
        assert not any(t.is_alive() for t in self.threads), "a thread hangs"
        self.threads.clear()
        self.stop.clear()


def allocator(actors: Actors, name: str, procedure_id: int, runs: list) -> None:
    while not actors.stop.is_set():
        made = services.offers_make(procedure_id=procedure_id, now=timezone.now())
        runs.append((name, made))
        if not made:
            time.sleep(0.005)


def monitor(actors: Actors, procedure_id: int, photos: list) -> None:
    while not actors.stop.is_set():
        photos.append(photograph(procedure_id))
        time.sleep(0.003)


def answer_for(offer_id: int) -> str:
    """The person's answer, fixed per offer (whoever in the threads gives it)."""
    draw = random.Random(offer_id).random()
    return "accept" if draw < 0.5 else "decline" if draw < 0.88 else "withdraw"


def applicant(actors: Actors, procedure_id: int, seed: int) -> None:
    rng = random.Random(seed)
    while not actors.stop.is_set():
        open_ids = list(
            WaitingOffer.objects.filter(
                status=OPEN, slot__procedure_id=procedure_id
            ).values_list("pk", "request_id")
        )
        if not open_ids:
            time.sleep(0.005)
            continue
        offer_id, request_id = rng.choice(open_ids)
        what = answer_for(offer_id)
        try:
            if what == "accept":
                services.offer_accept(offer_id=offer_id, now=timezone.now())
            elif what == "decline":
                services.offer_decline(offer_id=offer_id, now=timezone.now())
            else:
                services.waiting_withdraw(request_id=request_id, now=timezone.now())
            actors.count(what)
        except LOST_RACES as lost:
            actors.count(f"{what}: {type(lost).__name__}")


def booker(
    actors: Actors, world: Scene, seed: int, *, list_share: float, tried: Counter
) -> None:
    """Someone refreshing the slot page: takes whatever slot it can, for a new
    numéro or (``list_share`` of the time) for someone on the list."""
    rng = random.Random(seed)
    slot_ids = sorted(world.places)
    attempt = 0
    while not actors.stop.is_set():
        attempt += 1
        slot_id = rng.choice(slot_ids)
        numero = (
            rng.choice(world.list_numeros)
            if rng.random() < list_share
            else f"53{seed:02d}{attempt:06d}"
        )
        via_list = world.places[slot_id].via_list
        try:
            hold = services.hold_place(
                slot_id=slot_id,
                procedure=world.procedure,
                client_ip=f"198.51.100.{attempt % 250}",
                numero_etranger=numero,
                now=timezone.now(),
            )
            services.booking_create(
                slot_id=slot_id,
                procedure=world.procedure,
                applicant=services.Applicant(
                    numero_etranger=numero,
                    last_name="Martin",
                    first_name="Léa",
                    mobile="+33622222222",
                ),
                hold_token=hold.token,
                now=timezone.now(),
            )
            outcome = "booked"
        except (SlotNotBookable, SlotFull, AlreadyBooked) as refused:
            outcome = type(refused).__name__
        with actors.lock:
            tried[("via list" if via_list else "public", outcome)] += 1
        time.sleep(0.002)


def quiet(runs: list, names: tuple[str, ...], last: int = 3) -> bool:
    """Each allocator's last ``last`` runs made no offer."""
    for name in names:
        mine = [made for who, made in runs[-50:] if who == name][-last:]
        if len(mine) < last or any(mine):
            return False
    return True


def wait_for(condition, actors: Actors, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if actors.failures:
            return
        if condition():
            return
        time.sleep(0.05)
    actors.failures.append(f"no quiescence after {timeout:.0f} s ({what})")


# --- the test ------------------------------------------------------------------------


def test_two_hundred_waiting_fifty_places_two_allocators_and_answers_racing(caplog):
    caplog.set_level(logging.WARNING)
    rng = random.Random(14)
    world = scene(rng)
    pid = world.procedure.pk
    names = ("allocator 1", "allocator 2")
    photos: list[Photo] = []
    runs: list = []
    tried: Counter = Counter()
    started = time.perf_counter()

    # Phase 1: the places open; nobody answers yet. A self-service booker races the
    # allocators for the public slots (for numéros not on the list).
    actors = Actors()
    for name in names:
        actors.start(name, lambda n=name: allocator(actors, n, pid, runs))
    actors.start("booker", lambda: booker(actors, world, 1, list_share=0, tried=tried))
    actors.start("monitor", lambda: monitor(actors, pid, photos))
    wait_for(lambda: quiet(runs, names), actors, 60, "phase 1")
    actors.join()
    assert not actors.failures, actors.failures
    phase_one = photograph(pid)
    photos.append(phase_one)
    first_offers = sorted(phase_one.offers)
    phase_one_s = time.perf_counter() - started

    # Phase 1, replayed: each offer, in the order decided, went to the most urgent
    # request still waiting that the place fits.
    waiting = set(world.people)
    for offer_id, request, slot, _status in first_offers:
        fitting = [p for pk, p in world.people.items() if pk in waiting]
        fitting = [p for p in fitting if fits(p, world.places[slot])]
        best = min(fitting, key=lambda p: p.urgency)
        assert request == best.pk, f"offer {offer_id}: {request} instead of {best.pk}"
        waiting.remove(request)
    offered_places = sum(1 for _ in first_offers)
    assert offered_places >= 30  # the 34 listed places at least, mostly

    # Phase 2: people answer (accept, decline, leave), the allocators go on, the
    # booker now also books for people who are on the list.
    actors = Actors()
    for name in names:
        actors.start(name, lambda n=name: allocator(actors, n, pid, runs))
    for seed in range(4):
        actors.start(
            f"applicant {seed}", lambda s=seed: applicant(actors, pid, 100 + s)
        )
    actors.start(
        "booker", lambda: booker(actors, world, 2, list_share=0.3, tried=tried)
    )
    actors.start("monitor", lambda: monitor(actors, pid, photos))
    calm_since = [time.monotonic()]

    def settled() -> bool:
        still_open = WaitingOffer.objects.filter(status=OPEN, slot__procedure_id=pid)
        if still_open.exists() or not quiet(runs, names):
            calm_since[0] = time.monotonic()
        return time.monotonic() - calm_since[0] > 1.0

    wait_for(settled, actors, 120, "phase 2")
    actors.join()
    counts = actors.counts
    assert not actors.failures, actors.failures
    final = photograph(pid)
    photos.append(final)
    elapsed = time.perf_counter() - started

    # At every photograph, and at the end.
    for photo in photos:
        assert broken_invariants(photo, world) == []
    found, checked = inversions(photos, world)
    assert found == [], found[:10]
    # Every offer fits its request; no request was offered the same place twice.
    pairs = Counter((request, slot) for _o, request, slot, _s in final.offers)
    assert [p for p, n in pairs.items() if n > 1] == []
    misfits = [
        offer
        for offer, request, slot, _status in final.offers
        if not fits(world.people[request], world.places[slot])
    ]
    assert misfits == []

    # Quiescent: nothing left that the list should have been offered.
    assert services.offers_make(procedure_id=pid, now=timezone.now()) == 0
    now = timezone.now()
    offered_pairs = {(o[1], o[2]) for o in final.offers}
    for slot in Slot.objects.filter(procedure_id=pid):
        if selectors.free_places(slot, now=now) <= 0:
            continue
        place = world.places[slot.pk]
        left = [
            pk
            for pk, status in final.status.items()
            if status == WAITING
            and fits(world.people[pk], place)
            and (pk, slot.pk) not in offered_pairs
        ]
        assert left == [], f"slot {slot.pk} free while {left} wait for it"

    # Every accepted offer is its request's booking, on the offered slot; the
    # self-service booker never got a place kept for the list.
    accepted = WaitingOffer.objects.filter(
        status=WaitingOffer.Status.ACCEPTED, slot__procedure_id=pid
    ).select_related("request__booking")
    for offer in accepted:
        assert offer.request.status == WaitingRequest.Status.BOOKED
        assert offer.request.booking.slot_id == offer.slot_id
        assert offer.request.booking.status == Booking.Status.CONFIRMED
    by_hand = BookingEvent.objects.filter(
        kind=BookingEvent.Kind.CREATED, actor=services.APPLICANT
    ).values_list("booking__slot__via_list", flat=True)
    assert not any(by_hand)
    assert {o for (kind, o) in tried if kind == "via list"} == {"SlotNotBookable"}
    # Nothing went wrong out of sight (a publish after commit logs and goes on).
    ours = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("booking") or r.levelno >= logging.ERROR
    ]
    assert ours == [], ours[:5]

    print(
        f"\n{len(world.people)} requests, {sum(p.capacity for p in world.places.values())}"
        f" places; phase 1 {phase_one_s:.1f} s ({offered_places} offers), whole run "
        f"{elapsed:.1f} s; {final.max_offer - first_offers[0][0] + 1} offers in all"
        f"\nanswers: {dict(counts)}\nbooker: {dict(tried)}"
        f"\n{len(photos)} photographs, {checked} (offer, waiting request) pairs checked"
        f"\nfinal: {Counter(final.status.values())}"
    )
    # The run exercised what it claims to.
    assert counts["accept"] and counts["decline"] and counts["withdraw"]
    assert tried[("public", "booked")] and tried[("via list", "SlotNotBookable")]
    assert len(photos) > 20 and checked > 1000


# --- a person answering and booking at the same moment ---------------------------------


PAIRS = 40


def test_accepting_an_offer_while_booking_directly_gives_one_booking_and_no_error():
    """The same numéro accepts its offer and books another place in the same instant
    (two tabs), 40 times over: one booking each time, the other call refused
    cleanly, never a deadlock. (It found one: accepting locked the request's row,
    then inserted the booking; booking_create inserts, then closes the request.)"""
    procedure = ProcedureFactory()
    site = SiteFactory()
    start = timezone.now() + timedelta(days=3)
    people = []
    for i in range(PAIRS):
        SlotFactory(
            procedure=procedure,
            site=site,
            via_list=True,
            starts_at=start + timedelta(hours=i),
        )
        people.append(
            WaitingRequestFactory(
                procedure=procedure, sites=[site], numero_etranger=f"54{i:08d}"
            )
        )
    publics = [
        SlotFactory(
            procedure=procedure, site=site, starts_at=start + timedelta(days=5, hours=i)
        )
        for i in range(PAIRS)
    ]
    # The listed slots come first: each person holds an offer, nobody else waits.
    made = services.offers_make(procedure_id=procedure.pk, now=timezone.now())
    assert made == PAIRS
    outcomes: Counter = Counter()
    for person, public in zip(people, publics, strict=True):
        offer = person.offers.get()
        applicant = services.Applicant(
            numero_etranger=person.numero_etranger,
            last_name="Diallo",
            first_name="Awa",
            mobile="+33611111111",
        )
        results = race(
            [
                lambda o=offer: services.offer_accept(
                    offer_id=o.pk, now=timezone.now()
                ),
                lambda s=public, a=applicant: services.booking_create(
                    slot_id=s.pk,
                    procedure=procedure,
                    applicant=a,
                    hold_token="",
                    now=timezone.now(),
                ),
            ]
        )
        outcomes.update(type(r).__name__ for r in results)
        assert [r for r in results if not isinstance(r, Booking | Accepted)] == [
            r for r in results if isinstance(r, OfferClosed | AlreadyBooked)
        ]
        person.refresh_from_db()
        bookings = Booking.objects.filter(
            numero_etranger=person.numero_etranger, status=Booking.Status.CONFIRMED
        )
        assert bookings.count() == 1
        assert person.status == WaitingRequest.Status.BOOKED
        assert person.booking == bookings.get()
        assert not person.offers.filter(status=OPEN).exists()
    print(f"\n{PAIRS} pairs: {dict(outcomes)}")


def test_joining_the_list_while_booking_leaves_no_live_request_beside_a_booking():
    """The same numéro books a place and joins the list in the same instant (two
    tabs), 40 times over: either the join is refused (AlreadyBooked) or the booking
    closes the request; never a person both booked and still waiting (who would be
    offered a place they cannot take). Likewise for an appointment cancelled while
    its holder asks for an earlier place."""
    procedure = ProcedureFactory()
    site = SiteFactory()
    # They wait for a site without slots: no offer comes to take the place booked.
    elsewhere = SiteFactory()
    start = timezone.now() + timedelta(days=3)
    outcomes: Counter = Counter()
    for i in range(PAIRS):
        slot = SlotFactory(
            procedure=procedure, site=site, starts_at=start + timedelta(hours=i)
        )
        person = services.Applicant(
            numero_etranger=f"55{i:08d}",
            last_name="Diallo",
            first_name="Awa",
            mobile="+33611111111",
        )
        results = race(
            [
                lambda s=slot, a=person: services.booking_create(
                    slot_id=s.pk,
                    procedure=procedure,
                    applicant=a,
                    hold_token="",
                    now=timezone.now(),
                ),
                lambda a=person: services.waiting_join(
                    procedure=procedure,
                    applicant=a,
                    title_valid_until=date(2027, 1, 31),
                    site_ids=[elsewhere.pk],
                    unavailable=0,
                    now=timezone.now(),
                ),
            ]
        )
        outcomes.update(type(r).__name__ for r in results)
        assert isinstance(results[0], Booking)
        assert isinstance(results[1], WaitingRequest | AlreadyBooked)
        assert not WaitingRequest.objects.filter(
            numero_etranger=person.numero_etranger, status__in=LIVE
        ).exists()
    booked = list(Booking.objects.filter(procedure=procedure))
    for i, booking in enumerate(booked):
        results = race(
            [
                lambda b=booking: services.booking_cancel(
                    booking_id=b.pk, now=timezone.now()
                ),
                lambda b=booking, i=i: services.waiting_join(
                    procedure=procedure,
                    applicant=services.Applicant(
                        numero_etranger=b.numero_etranger,
                        last_name="Diallo",
                        first_name="Awa",
                        mobile="+33611111111",
                    ),
                    title_valid_until=date(2027, 1, 31),
                    site_ids=[elsewhere.pk],
                    unavailable=0,
                    now=timezone.now(),
                    earlier_than=b,
                ),
            ]
        )
        outcomes.update(f"earlier: {type(r).__name__}" for r in results)

        assert not WaitingRequest.objects.filter(
            numero_etranger=booking.numero_etranger, status__in=LIVE
        ).exists()
    print(f"\n{PAIRS} pairs twice: {dict(outcomes)}")


def race(calls) -> list:
    """Every call at once, each in its own thread and connection; each one's result
    or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # the outcome is what is checked
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
