"""What the scenarios share: the load's size, the run ids, the 5xx check, the
figures of a closed-loop window."""

import asyncio
import itertools

import httpx

from bench import client, config
from bench.processes import BenchError
from bench.timings import CpuMeter, step_figures

CONCURRENCY = 64  # the closed loops' virtual users (baselines, gunicorn's choice)
BASELINE_SECONDS = 5.0
RUSH_APPLICANTS = 2000
RUSH_SLOTS, RUSH_CAPACITY = 6, 50  # 300 places
PROFILED_RUSH_APPLICANTS = 300  # the profile shows where a request's time goes
# Register entries prepared per second of the closed loop: its 64 users began about
# 40 flows a second on 2 cores on 2026-11-30 (and 64 more cut by the window's end);
# the run stops with an error if they ever run out.
STEADY_PEOPLE_PER_SECOND = 100
AVAILABILITY_SLOTS = 5000
SMS_CARDS = 10_000
run_ids = itertools.count(1)


class InvariantBroken(BenchError):
    pass


def no_5xx(name: str, recorder: client.Recorder) -> None:
    statuses = recorder.statuses()
    bad = {s: n for s, n in statuses.items() if s >= 500 or s == 0}
    if bad:
        raise InvariantBroken(
            f"{name}: {sum(bad.values())} requests without a proper answer "
            f"(status: count, 0 = no answer) {bad}; {recorder.transport_errors[:3]}"
        )


def closed_loop_figures(name: str, one) -> dict:
    clients = [client.new_client() for _ in range(CONCURRENCY)]
    with CpuMeter() as cpu:
        recorder, start = asyncio.run(
            client.closed_loop(clients, BASELINE_SECONDS, one)
        )
    no_5xx(name, recorder)
    non_200 = {s: n for s, n in recorder.statuses().items() if s != 200}
    if non_200:
        raise InvariantBroken(f"{name}: answers other than 200: {non_200}")
    return window_figures(recorder, start, cpu)


def window_figures(recorder: client.Recorder, start: float, cpu: CpuMeter) -> dict:
    """Requests/s in the window; client and server p50/p99 of its one step; the
    load generator's share of the CPU."""
    step = recorder.samples[0].step if recorder.samples else ""
    times = step_figures(recorder.samples, [step])
    return {
        "rps": client.window_rate(recorder, start, BASELINE_SECONDS),
        "requests": len(recorder.samples),  # all of them, while the CPU was metered
        "p50_ms": times[f"{step} p50_ms"],
        "p99_ms": times[f"{step} p99_ms"],
        "server_p50_ms": times[f"{step} server p50_ms"],
        "server_p99_ms": times[f"{step} server p99_ms"],
        "server_cpu_p50_ms": times[f"{step} server cpu p50_ms"],
        **cpu.figures(),
    }


def provider(path: str, **params) -> dict:
    url = f"http://{config.HOST}:{config.SMS_PORT}{path}"
    if path == "/bench/reset":
        return httpx.post(url, timeout=10).json()
    return httpx.get(url, params=params, timeout=30).json()
