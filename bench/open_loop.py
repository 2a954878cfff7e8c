"""Steady load, open loop: applicants arrive at a fixed rate whatever the server's
speed (Poisson arrivals, as independent people do), and each walks the whole flow,
reading every page for 2 to 5 seconds before sending its form. The rate climbs stage
by stage until the p99 of some step passes 300 ms: the knee is the highest rate that
stays under it. Then a stage at half the knee, the load the target is about.

A closed loop (N users, no think time) cannot say this: its users wait for each other,
so its latency is N / throughput by Little's law, whatever the server does."""

import asyncio
import math
import os
import random
import time
from dataclasses import dataclass

from bench import client, dataset
from bench.processes import BenchError
from bench.timings import CpuMeter, step_figures

RATES = (2, 4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32)  # applicants per second
# (shorter only to try the bench out while changing it)
STAGE_SECONDS = float(os.environ.get("BENCH_STAGE_SECONDS", "30"))
# A walk lasts 12–20 s (four forms read 2–5 s each): after that, everyone on the
# site arrived at this stage's rate, and the stage's second half is measured.
WARM_UP_SECONDS = STAGE_SECONDS / 2
# A p99 of fewer samples is the slowest one: at 2 applicants/s a 15 s window held
# about 25 walks, and one request of 979 ms (once, in a stage whose server p99 was
# 54 ms) failed the stage. Each window lasts until every step should have this many
# (nearest rank: the p99 of 110 is the 109th, so one outlier is tolerated).
MIN_SAMPLES = 110
THINK_SECONDS = (2.0, 5.0)
P99_LIMIT_MS = 300.0
SLOTS, CAPACITY = 150, 100  # 15,000 places: nobody is ever told "complet"
SETTLE_LIMIT_SECONDS = 60.0


def worst_p99(figures: dict, *, server: bool = False) -> float:
    """The highest p99 of any step, as the applicants saw it (or inside Django)."""
    values = [
        v
        for k, v in figures.items()
        if k.endswith(" p99_ms") and (" server " in k) == server and not math.isnan(v)
    ]
    return max(values, default=float("nan"))


@dataclass
class Stage:
    rate: float
    figures: dict

    @property
    def worst_p99_ms(self) -> float:
        return worst_p99(self.figures)

    @property
    def under_limit(self) -> bool:
        return self.worst_p99_ms < P99_LIMIT_MS


def measured_seconds(rate: float) -> float:
    """A stage's measured window: its second half, or longer at a low rate, for
    MIN_SAMPLES of each step."""
    return max(STAGE_SECONDS - WARM_UP_SECONDS, MIN_SAMPLES / rate)


def people_needed() -> int:
    """Register entries for the worst case: every stage, a refinement and the
    half-knee stage, each run a little past its end."""
    rates = [*RATES, RATES[-1], RATES[0] / 2]
    seconds = sum(
        rate * (WARM_UP_SECONDS + measured_seconds(rate) + SETTLE_LIMIT_SECONDS / 4)
        for rate in rates
    )
    return int(seconds * 1.2)


def run(steps: list[str], *, seed: int = 17) -> dict:
    """The ladder, its knee, and the stage at half the knee."""
    opening = dataset.opening(f"open-loop-{seed}", slots=SLOTS, capacity=CAPACITY)
    people = iter(dataset.applicants(people_needed()))
    dataset.vacuum_analyze()
    return asyncio.run(_ladder(opening.procedure.pk, people, steps, seed))


async def _ladder(procedure_id: int, people, steps: list[str], seed: int) -> dict:
    recorder = client.Recorder()
    arrivals_rng, walk_rng = random.Random(seed), random.Random(seed + 1)
    tasks: set[asyncio.Task] = set()
    errors: list[str] = []

    async def applicant(person: dataset.Applicant) -> None:
        http = client.new_client()
        try:
            outcome = await client.book(
                http,
                recorder,
                person,
                procedure_id,
                walk_rng,
                think=lambda: walk_rng.uniform(*THINK_SECONDS),
            )
        finally:
            await http.aclose()
        if outcome.kind != "booked":
            errors.append(outcome.detail or outcome.kind)

    def arrive() -> None:
        person = next(people, None)
        if person is None:
            raise BenchError("open loop: not enough register entries prepared")
        task = asyncio.create_task(applicant(person))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def stage(rate: float) -> Stage:
        """Arrivals at ``rate`` for the stage, and on until every request its
        measured window started has its answer."""
        begin = time.perf_counter()
        window = begin + WARM_UP_SECONDS
        end = window + measured_seconds(rate)
        next_arrival = begin
        with CpuMeter() as cpu:
            while True:
                now = time.perf_counter()
                if now >= end and recorder.oldest_in_flight() > end:
                    break
                if now > end + SETTLE_LIMIT_SECONDS:
                    raise BenchError(f"open loop at {rate}/s: answers stopped coming")
                if errors:
                    raise BenchError(f"open loop at {rate}/s: {errors[:3]}")
                while next_arrival <= now:
                    arrive()
                    next_arrival += arrivals_rng.expovariate(rate)
                await asyncio.sleep(min(next_arrival - now, 0.02))
        measured = [s for s in recorder.samples if window <= s.start <= end]
        bad = sum(1 for s in measured if s.status >= 500 or s.status == 0)
        if bad:
            raise BenchError(f"open loop at {rate}/s: {bad} requests without answer")
        seconds = end - window
        gates = sum(1 for s in measured if s.step == "gate")
        return Stage(
            rate,
            {
                "arrivals_per_s": gates / seconds,
                "rps": len(measured) / seconds,
                "bookings_per_s": sum(1 for s in measured if s.step == "success page")
                / seconds,
                **step_figures(measured, steps),
                **cpu.figures(),
            },
        )

    async def drained() -> None:
        """Every walk of the stages before has ended: a lower rate after an
        overloaded stage is measured on its own load, not on the backlog of walks
        the overload left (in a standalone run, a stage at half the knee that
        followed one at 98 % of the CPU measured 2-second answers)."""
        if tasks:
            await asyncio.wait(list(tasks), timeout=SETTLE_LIMIT_SECONDS)

    ladder: list[Stage] = []
    try:
        for rate in RATES:
            ladder.append(await stage(rate))
            if not ladder[-1].under_limit:
                break
        passed = [s for s in ladder if s.under_limit]
        knee = passed[-1].rate if passed else 0.0
        failed = ladder[-1] if not ladder[-1].under_limit else None
        if failed is not None and failed.rate - knee > 2:  # one step finer
            await drained()
            finer = await stage((knee + failed.rate) / 2)
            ladder.append(finer)
            if finer.under_limit:
                knee = finer.rate
        await drained()
        half = await stage(knee / 2) if knee else None
    finally:
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    requests_per_applicant = _requests_per_applicant(ladder)
    return {
        "stages": [(s.rate, s.figures) for s in sorted(ladder, key=lambda s: s.rate)],
        "knee": knee,
        "reached_top": failed is None,
        "half": None if half is None else half.figures,
        "half_rate": knee / 2,
        "requests_per_applicant": requests_per_applicant,
    }


def _requests_per_applicant(ladder: list[Stage]) -> float:
    """Requests per arrival, over every stage (9 for a walk that books)."""
    arrivals = sum(s.figures["arrivals_per_s"] for s in ladder)
    requests = sum(s.figures["rps"] for s in ladder)
    return requests / arrivals if arrivals else float("nan")
