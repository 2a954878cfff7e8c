"""The measurements: the four baselines and the four product scenarios. Each
function is one run and returns its figures; the rush and the SMS scenario check
their invariants and raise InvariantBroken when one fails."""

import asyncio
import itertools
import random
import re
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookiejar import Cookie

import httpx
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import client, config, dataset, processes
from bench.processes import BenchError

CONCURRENCY = 64  # the steady load's virtual users; the closed-loop baselines too
BASELINE_SECONDS = 5.0
STEADY_SECONDS = 60.0
RUSH_APPLICANTS = 2000
RUSH_SLOTS, RUSH_CAPACITY = 6, 50  # 300 places
PROFILED_RUSH_APPLICANTS = 300  # the profile shows where a request's time goes
# Register entries prepared per second of steady load: 64 users book about 8 times a
# second on 2 cores today; the run stops with an error if they ever run out.
STEADY_PEOPLE_PER_SECOND = 40
AVAILABILITY_SLOTS = 5000
SMS_CARDS = 10_000
_run_ids = itertools.count(1)


class InvariantBroken(BenchError):
    pass


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def _no_5xx(name: str, recorder: client.Recorder) -> None:
    statuses = recorder.statuses()
    bad = {s: n for s, n in statuses.items() if s >= 500 or s == 0}
    if bad:
        raise InvariantBroken(
            f"{name}: {sum(bad.values())} requests without a proper answer "
            f"(status: count, 0 = no answer) {bad}; {recorder.transport_errors[:3]}"
        )


# --- baselines ------------------------------------------------------------------


def baseline_minimal() -> dict:
    """(a) the framework ceiling."""

    async def one(http, recorder, deadline):
        await client.timed(http, recorder, "minimal", "GET", "/bench/minimal/")

    return _closed_loop_figures("baseline (a)", one)


def baseline_orm_booking(opening: dataset.Opening) -> dict:
    """(b) the bare booking transaction through the ORM, over HTTP."""
    rng = random.Random(2)
    ids = [str(s.pk) for s in opening.slots]

    async def one(http, recorder, deadline):
        await client.timed(
            http,
            recorder,
            "book",
            "POST",
            "/bench/book/",
            data={"slot": rng.choice(ids)},
        )

    figures = _closed_loop_figures("baseline (b)", one)
    dataset.clear_baseline_bookings(opening.procedure)
    return figures


def _closed_loop_figures(name: str, one) -> dict:
    clients = [client.new_client() for _ in range(CONCURRENCY)]
    recorder, start = asyncio.run(client.closed_loop(clients, BASELINE_SECONDS, one))
    _no_5xx(name, recorder)
    non_200 = {s: n for s, n in recorder.statuses().items() if s != 200}
    if non_200:
        raise InvariantBroken(f"{name}: answers other than 200: {non_200}")
    elapsed = [s.elapsed for s in recorder.samples]
    return {
        "rps": client.window_rate(recorder, start, BASELINE_SECONDS),
        "p50_ms": percentile(elapsed, 50) * 1000,
        "p99_ms": percentile(elapsed, 99) * 1000,
    }


def baseline_sql_booking(opening: dataset.Opening, clients: int) -> dict:
    """(c) the same transaction as SQL: pgbench, as many connections as the web
    tier holds (one per gunicorn worker thread)."""
    ids = sorted(s.pk for s in opening.slots)
    host, port = config.PG_URL.rsplit("@", 1)[1].split(":")
    user = config.PG_URL.split("//", 1)[1].split("@", 1)[0]
    result = subprocess.run(  # noqa: S603 (our own argv)
        [
            processes.pgbench_path(),
            "--no-vacuum",
            "--client",
            str(clients),
            "--jobs",
            "1",
            "--time",
            str(int(BASELINE_SECONDS)),
            "--file",
            str(config.ROOT / "bench" / "pgbench_confirm.sql"),
            "--define",
            f"first_slot={ids[0]}",
            "--define",
            f"last_slot={ids[-1]}",
            "--define",
            f"procedure={opening.procedure.pk}",
            "--host",
            host,
            "--port",
            port,
            "--username",
            user,
            config.DB_NAME,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    tps = re.search(
        r"tps = ([\d.]+) \(without initial connection time\)", result.stdout
    )
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if result.returncode != 0 or tps is None or (failed and int(failed.group(1))):
        raise BenchError(
            f"pgbench failed:\n{result.stdout[-800:]}{result.stderr[-800:]}"
        )
    latency = re.search(r"latency average = ([\d.]+) ms", result.stdout)
    dataset.clear_baseline_bookings(opening.procedure)
    return {
        "rps": float(tps.group(1)),
        "p50_ms": float("nan"),
        "avg_ms": float(latency.group(1)) if latency else float("nan"),
    }


def wait_queue_empty(redis_client, *, timeout: float = 180) -> None:
    """Lets the worker finish what earlier scenarios queued (booking e-mails and
    SMS), so that a queue measurement starts from an idle worker."""
    deadline = time.perf_counter() + timeout
    while not _queue_empty(redis_client):
        if time.perf_counter() > deadline:
            raise BenchError("the Celery queue did not empty")
        time.sleep(0.1)


def _queue_empty(redis_client) -> bool:
    # Celery's Redis transport: waiting tasks in the "celery" list, delivered but
    # not yet acknowledged ones (acks_late) in the "unacked" hash.
    return redis_client.llen("celery") == 0 and redis_client.hlen("unacked") == 0


def baseline_queue(redis_client) -> dict:
    """(d) 10,000 no-op tasks: time to enqueue them, time until the worker has
    drained them."""
    from bench.tasks import noop

    start = time.perf_counter()
    for _ in range(SMS_CARDS):
        noop.delay()
    enqueued = time.perf_counter() - start
    deadline = start + 180
    while not _queue_empty(redis_client):
        if time.perf_counter() > deadline:
            raise BenchError("baseline (d): the worker did not drain 10,000 tasks")
        time.sleep(0.01)
    drained = time.perf_counter() - start
    return {
        "enqueue_s": enqueued,
        "drain_s": drained,
        "drain_rate": SMS_CARDS / drained,
    }


# --- the rush -----------------------------------------------------------------


@dataclass
class RushResult:
    figures: dict
    statuses: dict[int, int] = field(default_factory=dict)


def rush(*, applicants: int = RUSH_APPLICANTS) -> RushResult:
    """2,000 applicants at once for 300 places, the real flow; then the database is
    checked against what every applicant was told."""
    run = next(_run_ids)
    opening = dataset.opening(f"rush-{run}", slots=RUSH_SLOTS, capacity=RUSH_CAPACITY)
    people = dataset.applicants(applicants)
    dataset.vacuum_analyze()

    async def go():
        recorder = client.Recorder()
        clients = [client.new_client() for _ in people]
        rng = random.Random(run)
        start = time.perf_counter()
        try:
            outcomes = await asyncio.gather(
                *(
                    client.book(c, recorder, person, opening.procedure.pk, rng)
                    for c, person in zip(clients, people, strict=True)
                )
            )
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        return recorder, start, outcomes

    recorder, start, outcomes = asyncio.run(go())
    _no_5xx("rush", recorder)
    errors = [o for o in outcomes if o.kind == "error"]
    if errors:
        raise InvariantBroken(
            f"rush: {len(errors)} applicants got no answer, e.g. "
            f"{sorted({o.detail for o in errors})[:5]}"
        )
    booked = [o for o in outcomes if o.kind == "booked"]
    check_rush_invariants(opening, booked)
    answered = max(o.end for o in outcomes) - start
    last_booking = max(o.end for o in booked) - start
    confirms = [s for s in recorder.samples if s.step == "confirm POST"]
    return RushResult(
        {
            "answered_s": answered,
            "bookings": len(booked),
            "bookings_per_s": len(booked) / last_booking,
            "rps": len(recorder.samples) / answered,
            "requests": len(recorder.samples),
            "confirm_rps": len(confirms) / _busy_time(confirms),
            "confirm_p50_ms": percentile([s.elapsed for s in confirms], 50) * 1000,
            "no_slot": sum(1 for o in outcomes if o.kind == "no_slot"),
            # What a winner and a loser each cost: a loser told "complet" at the
            # gate makes 2 requests (issue 17).
            "requests_per_winner": _mean_requests(booked),
            "requests_per_loser": _mean_requests(
                [o for o in outcomes if o.kind == "no_slot"]
            ),
        },
        recorder.statuses(),
    )


def _mean_requests(outcomes: list) -> float:
    return sum(o.requests for o in outcomes) / len(outcomes) if outcomes else 0.0


def _busy_time(samples: list[client.Sample]) -> float:
    """Seconds during which at least one of these requests was in flight."""
    busy, reach = 0.0, float("-inf")
    for sample in sorted(samples, key=lambda s: s.start):
        if sample.end > reach:
            busy += sample.end - max(sample.start, reach)
            reach = sample.end
    return busy or float("nan")


def check_rush_invariants(opening: dataset.Opening, booked: list) -> None:
    from booking.models import Booking

    bookings = Booking.objects.filter(procedure=opening.procedure)
    confirmed = bookings.filter(status=Booking.Status.CONFIRMED)
    capacity = {s.pk: s.capacity for s in opening.slots}
    for row in confirmed.values("slot_id").annotate(n=Count("pk")):
        if row["n"] > capacity[row["slot_id"]]:
            raise InvariantBroken(
                f"rush: slot {row['slot_id']} has {row['n']} bookings for "
                f"{capacity[row['slot_id']]} places"
            )
    doubled = (
        Booking.objects.filter(status=Booking.Status.CONFIRMED)
        .values("numero_etranger")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    if doubled:
        raise InvariantBroken(f"rush: {doubled} numéros with two active bookings")
    pages = [(o.reference, o.numero) for o in booked]
    if len({r for r, _ in pages}) != len(pages):
        raise InvariantBroken("rush: two success pages show the same reference")
    rows = set(bookings.values_list("reference", "numero_etranger"))
    if set(pages) != rows:
        raise InvariantBroken(
            f"rush: {len(set(pages) - rows)} success pages without their booking, "
            f"{len(rows - set(pages))} bookings without a success page"
        )
    if len(rows) != opening.places:
        raise InvariantBroken(
            f"rush: {len(rows)} bookings for {opening.places} places although "
            "every applicant wanted one"
        )


# --- steady load ----------------------------------------------------------------


STEPS = [
    "gate",
    "gate POST",
    "identity",
    "identity POST",
    "slot list",
    "hold POST",
    "details",
    "confirm POST",
    "success page",
]


def steady(*, seconds: float = STEADY_SECONDS, users: int = CONCURRENCY) -> dict:
    """64 applicants in a closed loop on a large opening (150 slots of 100 places):
    each one books, then the next person takes its place."""
    run = next(_run_ids)
    opening = dataset.opening(f"steady-{run}", slots=150, capacity=100)
    people = iter(dataset.applicants(int(seconds * STEADY_PEOPLE_PER_SECOND)))
    dataset.vacuum_analyze()
    rng = random.Random(run)
    errors: list[str] = []

    async def one(http: httpx.AsyncClient, recorder, deadline):
        http.cookies.clear()  # a new person
        person = next(people, None)
        if person is None:
            raise BenchError("steady load: not enough register entries prepared")
        outcome = await client.book(
            http, recorder, person, opening.procedure.pk, rng, deadline=deadline
        )
        if outcome.kind != "booked" and time.perf_counter() < deadline:
            errors.append(outcome.detail or outcome.kind)

    clients = [client.new_client() for _ in range(users)]
    recorder, start = asyncio.run(client.closed_loop(clients, seconds, one))
    _no_5xx("steady load", recorder)
    # A user cut by the end of the window is not an error; any other failure is.
    errors = [e for e in errors if "Stop" not in e]
    if errors:
        raise InvariantBroken(f"steady load: {len(errors)} failed flows: {errors[:3]}")
    in_window = [s for s in recorder.samples if s.end <= start + seconds]
    figures: dict = {"rps": len(in_window) / seconds}
    for step in STEPS:
        elapsed = [s.elapsed for s in in_window if s.step == step]
        for p in (50, 95, 99):
            figures[f"{step} p{p}_ms"] = percentile(elapsed, p) * 1000
    figures["bookings_per_s"] = (
        sum(1 for s in in_window if s.step == "success page") / seconds
    )
    return figures


# --- availability ---------------------------------------------------------------


@dataclass
class Availability:
    big: dataset.Opening
    small: dataset.Opening
    sessions: list[list[Cookie]]  # cookies of applicants who may see the slots


def availability_prepare() -> Availability:
    big = dataset.opening("dispo-5000", slots=AVAILABILITY_SLOTS, capacity=3)
    small = dataset.opening("dispo-50", slots=50, capacity=3)
    dataset.vacuum_analyze()
    sessions = asyncio.run(_sessions(big.procedure.pk, 16))
    return Availability(big, small, sessions)


def _in_process_session(procedure_id: int) -> Client:
    """A test client that passed the gate and the identity check."""
    person = dataset.applicants(1)[0]
    browser = Client()
    browser.post(
        "/rendez-vous/", {"situation": "titre_sejour", "procedure": procedure_id}
    )
    answer = browser.post(
        "/rendez-vous/identite/",
        {
            "numero_etranger": person.numero,
            "valid_until": person.valid_until,
            "postal_code": person.postal_code,
        },
    )
    if answer.status_code != 302:
        raise BenchError(f"availability: identity step answered {answer.status_code}")
    return browser


def query_counts(availability: Availability) -> dict:
    """SQL queries of one request, with 50 and with 5,000 open slots: when the page
    is built (nothing cached) and when it comes from the shared cache."""
    from booking import availability as free_slots
    from booking import selectors

    counts = {}
    for name, opening in (("50", availability.small), ("5000", availability.big)):
        browser = _in_process_session(opening.procedure.pk)
        for page, url in (
            ("slot page", "/rendez-vous/creneaux/"),
            ("API", f"/api/v1/creneaux?demarche={opening.procedure.slug}"),
        ):
            for state in ("built", "cached"):
                if state == "built":
                    free_slots.changed()
                    selectors.procedure_changed(opening.procedure.pk)
                with CaptureQueriesContext(connection) as queries:
                    response = browser.get(url)
                if response.status_code != 200:
                    raise BenchError(
                        f"availability: {url} answered {response.status_code}"
                    )
                counts[f"{page}, {state} ({name} slots)"] = len(queries)
    return counts


async def _sessions(procedure_id: int, count: int) -> list[list[Cookie]]:
    """Cookies of applicants past the gate and identity steps (their sessions may
    see the slots)."""
    people = await asyncio.to_thread(dataset.applicants, count)
    clients = [client.new_client() for _ in range(count)]
    recorder = client.Recorder()
    for http, person in zip(clients, people, strict=True):
        page = await client.timed(http, recorder, "gate", "GET", "/rendez-vous/")
        await http.post(
            "/rendez-vous/",
            data={
                "csrfmiddlewaretoken": client._csrf(page, "gate"),
                "situation": "titre_sejour",
                "procedure": str(procedure_id),
            },
        )
        page = await http.get("/rendez-vous/identite/")
        await http.post(
            "/rendez-vous/identite/",
            data={
                "csrfmiddlewaretoken": client._csrf(page, "identity"),
                "numero_etranger": person.numero,
                "valid_until": person.valid_until,
                "postal_code": person.postal_code,
            },
        )
    cookies = [list(http.cookies.jar) for http in clients]
    await asyncio.gather(*(http.aclose() for http in clients))
    return cookies


def availability(availability: Availability, page: str) -> dict:
    """Requests/s and latency of the slot page or the API with 5,000 open slots."""
    opening = availability.big
    if page == "slot page":
        url = "/rendez-vous/creneaux/"
        clients = [client.new_client() for _ in range(CONCURRENCY)]
        for i, http in enumerate(clients):
            for cookie in availability.sessions[i % len(availability.sessions)]:
                http.cookies.jar.set_cookie(cookie)
    else:
        url = f"/api/v1/creneaux?demarche={opening.procedure.slug}"
        clients = [client.new_client() for _ in range(CONCURRENCY)]

    async def one(http, recorder, deadline):
        answer = await client.timed(http, recorder, page, "GET", url)
        if (
            answer.status_code == 200
            and page == "slot page"
            and ('name="slot"' not in answer.text)
        ):
            raise BenchError("availability: the slot page shows no slot")

    recorder, start = asyncio.run(client.closed_loop(clients, BASELINE_SECONDS, one))
    _no_5xx(f"availability ({page})", recorder)
    elapsed = [s.elapsed for s in recorder.samples]
    return {
        "rps": client.window_rate(recorder, start, BASELINE_SECONDS),
        "p50_ms": percentile(elapsed, 50) * 1000,
        "p99_ms": percentile(elapsed, 99) * 1000,
    }


# --- "carte disponible" at volume ---------------------------------------------


def provider(path: str, **params) -> dict:
    url = f"http://{config.HOST}:{config.SMS_PORT}{path}"
    if path == "/bench/reset":
        return httpx.post(url, timeout=10).json()
    return httpx.get(url, params=params, timeout=30).json()


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


def median(values: list[float]) -> float:
    return statistics.median(values)


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

    run = next(_run_ids)
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


# --- a delivery list of 10 MB uploaded in the admin -----------------------------

DELIVERY_BYTES = 10 * 1024 * 1024
_delivery_runs = itertools.count(0)


def delivery_file() -> tuple[bytes, int, int]:
    """A delivery list of just under 10 MB (the upload form's limit), as French
    Excel saves it (semicolons, Windows-1252, accented names): every line a new
    person with a valid mobile. Each run has its own numéros."""
    base = 9_100_000_000 + next(_delivery_runs) * 1_000_000
    header = "numero_etranger;nom;prenom;telephone;site\r\n"
    lines, size, n = [header], len(header), 0
    while True:
        line = f"{base + n};Hénin-Beaumont;Zoé-Amélie;06{n:08d};\r\n"
        if size + len(line) > DELIVERY_BYTES:
            break
        lines.append(line)
        size += len(line)
        n += 1
    return "".join(lines).encode("cp1252"), base, n


def delivery() -> dict:
    """The 10 MB list through the admin's services: the upload (the request), the
    preview read by the Celery worker, the agent's confirmation, the import written
    by the worker batch by batch. Checks every line became one ready card with one
    SMS. The SMS are then withdrawn (refused) so that the local provider does not
    spend the next ten minutes receiving 250,000 of them: delivery at volume is the
    "carte disponible" scenario's."""
    from booking import services
    from booking.models import Card, ImportJob, OutgoingMessage

    dataset.site()
    data, base, lines = delivery_file()
    start = time.perf_counter()
    job = services.import_upload(
        kind=ImportJob.Kind.DELIVERY, data=data, filename="livraison.csv", by="banc"
    )
    uploaded = time.perf_counter() - start
    _wait_job(job.pk, ImportJob.Status.PREVIEWED)
    previewed = time.perf_counter() - start
    job.refresh_from_db()
    if job.preview["counts"]["ready"] != lines:
        raise InvariantBroken(f"delivery preview: {job.preview['counts']} for {lines}")
    start = time.perf_counter()
    services.import_job_confirm(job_id=job.pk, by="banc")
    _wait_job(job.pk, ImportJob.Status.DONE)
    imported = time.perf_counter() - start
    job.refresh_from_db()
    cards = Card.objects.filter(
        numero_etranger__gte=str(base), numero_etranger__lt=str(base + lines)
    )
    ready = cards.filter(status=Card.Status.READY).count()
    messages = OutgoingMessage.objects.filter(
        kind=OutgoingMessage.Kind.CARD_READY, card__in=cards
    )
    sms = messages.count()
    if not (job.result["counts"]["ready"] == ready == sms == lines) or job.data:
        raise InvariantBroken(
            f"delivery: {lines} lines, result {job.result['counts']}, {ready} cards "
            f"ready, {sms} SMS, file kept: {bool(job.data)}"
        )
    messages.filter(status=OutgoingMessage.Status.PENDING).update(
        status=OutgoingMessage.Status.REFUSED, last_error="banc d'essai"
    )
    return {
        "lines": lines,
        "mb": len(data) / 1024 / 1024,
        "upload_s": uploaded,
        "preview_s": previewed,
        "import_s": imported,
        "lines_per_s": lines / imported,
    }


def _wait_job(job_id: int, status: str, *, timeout: float = 900) -> None:
    from booking.models import ImportJob

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        job = ImportJob.objects.defer("data").get(pk=job_id)
        if job.status == status:
            return
        if job.status in (ImportJob.Status.FAILED, ImportJob.Status.CANCELLED):
            raise InvariantBroken(f"delivery job {job.status}: {job.error}")
        time.sleep(0.5)
    raise InvariantBroken(f"delivery job still {job.status} after {timeout:.0f} s")
