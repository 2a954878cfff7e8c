"""The real flow through the pages: the rush (2,000 applicants for 300 places,
checked in the database afterwards) and the closed-loop load that chooses the
gunicorn configuration."""

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field

import httpx
from django.db.models import Count

from bench import client, dataset
from bench.processes import BenchError
from bench.scenarios.common import (
    CONCURRENCY,
    RUSH_APPLICANTS,
    RUSH_CAPACITY,
    RUSH_SLOTS,
    STEADY_PEOPLE_PER_SECOND,
    InvariantBroken,
    no_5xx,
    run_ids,
)
from bench.timings import CpuMeter, percentile, step_figures

# --- the rush -----------------------------------------------------------------


# People who come after the sell-out (the rush's second wave): 2 requests each.
LATE_APPLICANTS = 200
# Baseline (b) sampled inside the rush: its bare booking POST sent PROBE_RATE times a
# second whatever the answers (each waits seconds in the server's queue with the
# applicants), on at most PROBE_CLIENTS connections at once: 2 % of the rush's
# requests, 40–46 of them while applicants confirm (the 19:57 run).
PROBE_RATE, PROBE_CLIENTS = 10, 48
PROBE_STEP = "(b) inside the rush"


@dataclass
class RushResult:
    figures: dict
    statuses: dict[int, int] = field(default_factory=dict)


def rush(*, applicants: int = RUSH_APPLICANTS) -> RushResult:
    """2,000 applicants at once for 300 places, the real flow; then the database is
    checked against what every applicant was told."""
    run = next(run_ids)
    opening = dataset.opening(f"rush-{run}", slots=RUSH_SLOTS, capacity=RUSH_CAPACITY)
    probed = dataset.opening(f"rush-{run}-b", slots=RUSH_SLOTS, capacity=RUSH_CAPACITY)
    people = dataset.applicants(applicants)
    dataset.vacuum_analyze()

    async def go():
        recorder, probe = client.Recorder(), client.Recorder()
        clients = [client.new_client() for _ in people]
        rng = random.Random(run)
        walking = asyncio.Event()
        probing = asyncio.create_task(_probe_b(probe, probed, walking, str(run)))
        start = time.perf_counter()
        try:
            try:
                outcomes = await asyncio.gather(
                    *(
                        client.book(c, recorder, person, opening.procedure.pk, rng)
                        for c, person in zip(clients, people, strict=True)
                    )
                )
            finally:
                walking.set()
                await probing
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        return recorder, probe, start, outcomes

    with CpuMeter() as cpu:
        recorder, probe, start, outcomes = asyncio.run(go())
    dataset.clear_baseline_bookings(probed.procedure)
    no_5xx("rush, (b) inside it", probe)
    no_5xx("rush", recorder)
    confirms = [s for s in recorder.samples if s.step == "confirm POST"]
    errors = [o for o in outcomes if o.kind == "error"]
    if errors:
        raise InvariantBroken(
            f"rush: {len(errors)} applicants got no answer, e.g. "
            f"{sorted({o.detail for o in errors})[:5]}"
        )
    booked = [o for o in outcomes if o.kind == "booked"]
    check_rush_invariants(opening, booked)
    late = asyncio.run(_late_wave(opening.procedure.pk, run))
    answered = max(o.end for o in outcomes) - start
    last_booking = max(o.end for o in booked) - start
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
            **_late_losers(recorder, outcomes),
            "late_wave": len(late),
            "late_wave_max_requests": max(o.requests for o in late),
            "late_wave_mean_requests": _mean_requests(late),
            **step_figures(recorder.samples, STEPS),
            # The probes sent while applicants confirmed: the same load as the
            # confirms they are compared with (not the quiet tail of the rush).
            **step_figures(_during(probe.samples, confirms), [PROBE_STEP]),
            # Every request sent while the CPU was metered, the probes' included.
            "metered_requests": len(recorder.samples) + len(probe.samples),
            **cpu.figures(),
        },
        recorder.statuses(),
    )


async def _probe_b(
    recorder: client.Recorder,
    opening: dataset.Opening,
    done: asyncio.Event,
    seed: str,
) -> None:
    """Baseline (b)'s bare booking POST at a fixed rate while the rush lasts: the
    confirm's yardstick measured on the same loaded machine (its closed loop of 64
    booking POSTs, a minute earlier, loads the machine another way). Its own
    démarche and slots: it waits for no applicant's lock, nor they for its. A tick
    that finds every connection waiting sends nothing."""
    rng = random.Random(seed)
    ids = [str(s.pk) for s in opening.slots]
    clients = [client.new_client() for _ in range(PROBE_CLIENTS)]
    idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
    for each in clients:
        idle.put_nowait(each)
    sent: set[asyncio.Task] = set()

    async def one(http: httpx.AsyncClient) -> None:
        try:
            # A request without an answer is recorded (status 0) and reported by
            # no_5xx after the rush; it must not stop the applicants' rush.
            with contextlib.suppress(client.UnexpectedPage):
                await client.timed(
                    http,
                    recorder,
                    PROBE_STEP,
                    "POST",
                    "/bench/book/",
                    data={"slot": rng.choice(ids)},
                )
        finally:
            idle.put_nowait(http)

    try:
        while not done.is_set():
            if not idle.empty():
                task = asyncio.create_task(one(idle.get_nowait()))
                sent.add(task)
                task.add_done_callback(sent.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 1 / PROBE_RATE)
        await asyncio.gather(*sent)
    finally:
        await asyncio.gather(*(each.aclose() for each in clients))


def _during(
    samples: list[client.Sample], window: list[client.Sample]
) -> list[client.Sample]:
    """The samples sent while the window's requests were being sent and answered
    (from the first one's start to the last one's end)."""
    if not window:
        return []
    first, last = min(s.start for s in window), max(s.end for s in window)
    return [s for s in samples if first <= s.start <= last]


async def _late_wave(procedure_id: int, run: int) -> list[client.Outcome]:
    """LATE_APPLICANTS more people arriving at once after the sell-out: each must be
    told "complet" and cost no more than the gate and its answer."""
    people = await asyncio.to_thread(dataset.applicants, LATE_APPLICANTS)
    recorder = client.Recorder()
    clients = [client.new_client() for _ in people]
    rng = random.Random(-run)
    try:
        outcomes = await asyncio.gather(
            *(
                client.book(c, recorder, person, procedure_id, rng)
                for c, person in zip(clients, people, strict=True)
            )
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    no_5xx("rush, late wave", recorder)
    wrong = [o for o in outcomes if o.kind != "no_slot"]
    if wrong:
        raise InvariantBroken(
            f"rush, late wave: {len(wrong)} not told 'complet', e.g. {wrong[:2]}"
        )
    return outcomes


def _late_losers(recorder: client.Recorder, outcomes: list) -> dict:
    """Applicants whose gate POST was sent after the last place was held (the
    sell-out: nothing free, nothing held, no hold lapses in a rush): how many, and
    the most requests one of them made (issue 17: at most 2)."""
    holds = [
        s.end for s in recorder.samples if s.step == "hold POST" and s.status == 302
    ]
    sold_out = max(holds, default=float("inf"))
    late = [o for o in outcomes if o.kind == "no_slot" and o.gate_post_at > sold_out]
    return {
        "late_losers": len(late),
        "late_loser_max_requests": max((o.requests for o in late), default=0),
    }


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


# --- a closed loop, to choose gunicorn's workers --------------------------------


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


def steady(*, seconds: float, users: int = CONCURRENCY) -> dict:
    """64 applicants in a closed loop on a large opening (150 slots of 100 places),
    each one booking, then the next person taking its place: the requests/s a
    gunicorn configuration gives the whole flow (its latencies say nothing: with no
    think time they are users / throughput, Little's law; the open loop measures
    those)."""
    run = next(run_ids)
    opening = dataset.opening(f"steady-{run}", slots=150, capacity=100)
    people = iter(dataset.applicants(int(seconds * STEADY_PEOPLE_PER_SECOND)))
    dataset.vacuum_analyze()
    rng = random.Random(run)
    errors: list[str] = []
    booked: list[client.Outcome] = []

    async def one(http: httpx.AsyncClient, recorder, deadline):
        http.cookies.clear()  # a new person
        person = next(people, None)
        if person is None:
            raise BenchError(
                "steady load: not enough register entries prepared "
                f"({len(booked)} booked, {len(errors)} failed: {errors[:3]})"
            )
        outcome = await client.book(
            http, recorder, person, opening.procedure.pk, rng, deadline=deadline
        )
        if outcome.kind == "booked":
            booked.append(outcome)
        elif time.perf_counter() < deadline:
            errors.append(outcome.detail or outcome.kind)

    clients = [client.new_client() for _ in range(users)]
    recorder, start = asyncio.run(client.closed_loop(clients, seconds, one))
    no_5xx("steady load", recorder)
    # A user cut by the end of the window is not an error; any other failure is.
    errors = [e for e in errors if "Stop" not in e]
    if errors:
        raise InvariantBroken(f"steady load: {len(errors)} failed flows: {errors[:3]}")
    in_window = [s for s in recorder.samples if s.end <= start + seconds]
    return {"rps": len(in_window) / seconds}
