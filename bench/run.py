"""`make bench`: prepares a fresh database, starts the production shape on loopback,
runs every measurement three times, stops what it started, writes BENCHMARKS.md.

Exits non-zero, writing no results file, when a server does not start or an
invariant breaks. `python -m bench release` runs one scenario (the waiting list's
release) with the baseline it is compared with, and prints its figures."""

import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import config
from bench.processes import (
    BenchError,
    Supervisor,
    ensure_port_free,
    pgbench_path,
    signals_raise,
    start_celery_worker,
    start_fake_provider,
    start_gunicorn,
)


def log(message: str) -> None:
    print(
        f"[bench {time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", flush=True
    )


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{config.PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{config.DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{config.DB_NAME}"')


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    # WhiteNoise's manifest storage (DEBUG off) needs the collected files.
    call_command("collectstatic", verbosity=0, interactive=False)


def machine() -> dict[str, str]:
    import celery
    import django
    import gunicorn
    import httpx
    import psycopg
    import redis as redis_py
    from django.db import connection

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    redis_version = redis_py.Redis.from_url(config.redis_url()).info("server")[
        "redis_version"
    ]
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()  # noqa: S607
    return {
        "nproc": nproc,
        "CPU": model,
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "Django": django.__version__,
        "PostgreSQL": pg_version,
        "Redis": redis_version,
        "gunicorn": gunicorn.__version__,
        "Celery": celery.__version__,
        "psycopg": psycopg.__version__,
        "httpx (load generator)": httpx.__version__,
    }


ALONE = {
    "rush": "2,000 applicants at once for 300 places, with baselines (a) and (b); "
    "prints the figures, writes no BENCHMARKS.md",
    "release": "the waiting list's release scenario and baseline (b) only; prints "
    "the figures, writes no BENCHMARKS.md",
    "delivery": "the 10 MB delivery list through the import job and the worker; "
    "prints the figures, writes no BENCHMARKS.md",
    "steady": "the open-loop steady load (its ladder and knee) and baseline (a) only; "
    "prints the figures, writes no BENCHMARKS.md",
    "availability": "the slot page and the API with 5,000 open slots, and baseline "
    "(a); prints the figures, writes no BENCHMARKS.md",
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and (args[0] not in ALONE or len(args) > 1):
        print("usage: python -m bench [SCENARIO]   (all of them by default)")
        for name, what in ALONE.items():
            print(f"  {name}: {what}")
        return 2
    if args:
        return alone(args[0])
    started = time.perf_counter()
    log_dir = Path(tempfile.mkdtemp(prefix="prefecture-bench-"))
    supervisor = Supervisor(log_dir)
    log(f"process logs in {log_dir}")
    try:
        with signals_raise():
            results = measure(supervisor, log_dir)
    except BenchError as error:
        print(f"\nmake bench FAILED: {error}", file=sys.stderr)
        print(f"(process logs in {log_dir}; no BENCHMARKS.md written)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nmake bench interrupted: no BENCHMARKS.md written", file=sys.stderr)
        return 130
    finally:
        supervisor.stop_all()
    from bench import report

    results["wall_s"] = time.perf_counter() - started
    # Kept beside the logs: a report that fails can be written again from them
    # (`report.write(pickle.load(...), log_dir)`) without measuring again.
    with (log_dir / "results.pickle").open("wb") as kept:
        pickle.dump(results, kept)
    report.write(results, log_dir)
    log(f"BENCHMARKS.md written; whole run {results['wall_s']:.0f} s")
    return 0


def alone(name: str) -> int:
    """One scenario with the baseline it is compared with, on the same set-up as the
    whole run; its section of BENCHMARKS.md printed."""
    started = time.perf_counter()
    log_dir = Path(tempfile.mkdtemp(prefix="prefecture-bench-"))
    supervisor = Supervisor(log_dir)
    log(f"{name} alone; process logs in {log_dir}")
    try:
        with signals_raise():
            env, redis_client, _worker = prepare(supervisor)
            shape = config.GUNICORN_CANDIDATES[0]
            start_gunicorn(supervisor, env, shape)
            lines = _measure_alone(name, redis_client, shape)
    except BenchError as error:
        print(f"\nbench {name} FAILED: {error}", file=sys.stderr)
        print(f"(process logs in {log_dir})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nbench {name} interrupted", file=sys.stderr)
        return 130
    finally:
        supervisor.stop_all()
    print("\n".join(lines))
    log(f"{name} alone: {time.perf_counter() - started:.0f} s")
    return 0


def _measure_alone(name: str, redis_client, shape: config.Gunicorn) -> list[str]:
    """The baseline ``name`` is compared with, then ``name``: its section's lines."""
    from bench import dataset, open_loop, report, scenarios

    results: dict = {"a": [], "b": [], "gunicorn": shape.label}
    if name in ("steady", "availability"):  # compared with (a)
        for _run in range(config.RUNS):
            results["a"].append(scenarios.baseline_minimal())
        log(f"baseline (a): {[round(r['rps']) for r in results['a']]}/s")
    if name not in ("steady", "availability"):  # compared with (b)
        opening = dataset.opening(
            "baseline", slots=scenarios.RUSH_SLOTS, capacity=scenarios.RUSH_CAPACITY
        )
    if name not in ("steady", "availability", "rush"):
        for _run in range(config.RUNS):
            results["b"].append(scenarios.baseline_orm_booking(opening))
        log(f"baseline (b): {[round(r['rps']) for r in results['b']]}/s")
    if name == "steady":
        results["open_loop"] = open_loop.run(scenarios.STEPS)
        return report.steady_section(results)
    if name == "availability":
        prepared = scenarios.availability_prepare()
        results["queries"] = scenarios.query_counts(prepared)
        for page, key in (("slot page", "slot_page"), ("API", "api")):
            results[key] = [
                scenarios.availability(prepared, page) for _run in range(config.RUNS)
            ]
        return report.availability_section(results)
    if name == "rush":  # its own (a) and (b), just before each run
        results |= _rushes(redis_client, opening)
        return report.rush_section(results)
    scenario = getattr(scenarios, name)
    results[name] = []
    for run in range(config.RUNS):
        scenarios.wait_queue_empty(redis_client)
        results[name].append(scenario())
        log(f"{name} run {run + 1}: {results[name][-1]}")
    return getattr(report, f"{name}_section")(results)


def _rushes(redis_client, opening) -> dict:
    """The rush, RUNS times: its figures and its status codes, run by run, each run
    just after baselines (a) and (b) of its own. The machine's speed drifts within
    one make bench: on 2026-11-30 (a)'s own time inside Django doubled between two
    runs an hour apart, and within one run (a) read 413 to 553 requests/s; the rush,
    seven minutes after the baselines, was compared with a slower machine than its
    own. Each rush is now compared with the baselines measured a minute before it."""
    from bench import scenarios

    figures, statuses, a_runs, b_runs = [], [], [], []
    for run in range(config.RUNS):
        scenarios.wait_queue_empty(redis_client)  # the last rush's notices sent
        a_runs.append(scenarios.baseline_minimal())
        b_runs.append(scenarios.baseline_orm_booking(opening))
        scenarios.wait_queue_empty(redis_client)
        rush = scenarios.rush()
        figures.append(rush.figures)
        statuses.append(rush.statuses)
        log(
            f"rush run {run + 1} (after (a) {a_runs[-1]['rps']:.0f}/s, (b) server "
            f"p50 {b_runs[-1]['server_p50_ms']:.1f} ms): {rush.figures}"
        )
    return {
        "rush": figures,
        "rush_statuses": statuses,
        "rush_a": a_runs,
        "rush_b": b_runs,
    }


def prepare(supervisor: Supervisor):
    """A fresh database and Redis db, Django set up on them, the local SMS provider
    and a Celery worker started."""
    pgbench_path()  # fail early
    for port in (config.WEB_PORT, config.SMS_PORT):
        ensure_port_free(port)
    log(f"fresh database {config.DB_NAME}, Redis db {config.REDIS_DB}")
    recreate_database()
    import redis

    redis_client = redis.Redis.from_url(config.redis_url())
    redis_client.flushdb()
    env = config.product_env()
    setup_django(env)
    start_fake_provider(supervisor)
    worker = start_celery_worker(supervisor, env)
    return env, redis_client, worker


def measure(supervisor: Supervisor, log_dir: Path) -> dict:
    env, redis_client, worker = prepare(supervisor)
    from bench import dataset, open_loop, scenarios

    results: dict = {"machine": machine(), "runs": config.RUNS}
    results["celery"] = f"{config.CELERY_POOL}, concurrency {config.CELERY_CONCURRENCY}"

    # Worker class and count: a short steady load on each candidate.
    choice = {}
    for shape in config.GUNICORN_CANDIDATES:
        web = start_gunicorn(supervisor, env, shape)
        figures = scenarios.steady(seconds=6)
        supervisor.stop(web)
        choice[shape.label] = figures["rps"]
        log(f"gunicorn {shape.label}: {figures['rps']:.0f} requests/s (steady flow)")
    shape = config.GUNICORN_CANDIDATES[0]
    for candidate in config.GUNICORN_CANDIDATES[1:]:
        if choice[candidate.label] > config.CANDIDATE_MARGIN * choice[shape.label]:
            shape = candidate
    results["gunicorn_choice"] = choice
    results["gunicorn"] = shape.label
    scenarios.wait_queue_empty(redis_client)

    web = start_gunicorn(supervisor, env, shape)
    baseline_opening = dataset.opening(
        "baseline", slots=scenarios.RUSH_SLOTS, capacity=scenarios.RUSH_CAPACITY
    )
    results["a"], results["b"], results["c"], results["d"] = [], [], [], []
    for run in range(config.RUNS):
        results["a"].append(scenarios.baseline_minimal())
        results["b"].append(scenarios.baseline_orm_booking(baseline_opening))
        results["c"].append(
            scenarios.baseline_sql_booking(baseline_opening, shape.db_connections)
        )
        log(
            f"baselines run {run + 1}: (a) {results['a'][-1]['rps']:.0f}/s, "
            f"(b) {results['b'][-1]['rps']:.0f}/s, (c) {results['c'][-1]['rps']:.0f}/s"
        )
    for run in range(config.RUNS):
        scenarios.wait_queue_empty(redis_client)
        results["d"].append(scenarios.baseline_queue(redis_client))
        log(f"baseline (d) run {run + 1}: {results['d'][-1]}")
    results["sms"] = []
    for run in range(config.RUNS):
        scenarios.wait_queue_empty(redis_client)
        results["sms"].append(scenarios.sms_volume())
        log(f"SMS run {run + 1}: {results['sms'][-1]}")

    results["release"] = []
    for run in range(config.RUNS):
        scenarios.wait_queue_empty(redis_client)
        results["release"].append(scenarios.release())
        log(f"release run {run + 1}: {results['release'][-1]}")

    results["delivery"] = []
    for run in range(config.DELIVERY_RUNS):
        scenarios.wait_queue_empty(redis_client)
        results["delivery"].append(scenarios.delivery())
        log(f"delivery run {run + 1}: {results['delivery'][-1]}")

    # The delivery's import leaves thousands of SMS batch tasks (their messages
    # withdrawn): measured beside them, the slot page lost two thirds of its rate.
    scenarios.wait_queue_empty(redis_client, timeout=900)
    availability = scenarios.availability_prepare()
    results["queries"] = scenarios.query_counts(availability)
    log(f"queries per request: {results['queries']}")
    results["slot_page"], results["api"] = [], []
    for run in range(config.RUNS):
        results["slot_page"].append(scenarios.availability(availability, "slot page"))
        results["api"].append(scenarios.availability(availability, "API"))
        log(
            f"availability run {run + 1}: slot page "
            f"{results['slot_page'][-1]['rps']:.0f}/s, API "
            f"{results['api'][-1]['rps']:.0f}/s"
        )

    results |= _rushes(redis_client, baseline_opening)
    # One ladder (it is minutes long): each stage is its own measurement.
    results["open_loop"] = open_loop.run(scenarios.STEPS)
    for rate, figures in results["open_loop"]["stages"]:
        log(
            f"open loop {rate:g} applicants/s: {figures['rps']:.0f} requests/s, "
            f"worst step p99 {open_loop.worst_p99(figures):.0f} ms"
        )
    log(f"open loop knee: {results['open_loop']['knee']:g} applicants/s")

    # The profile: one more rush on the same configuration, one request in five profiled.
    supervisor.stop(web)
    profile_dir = log_dir / "profile"
    profile_dir.mkdir()
    web = start_gunicorn(supervisor, env, shape, profile_dir=profile_dir)
    # (fewer applicants: the profile describes where a request's time goes, the
    # timed figures come from the three runs above.)
    profiled = scenarios.rush(applicants=scenarios.PROFILED_RUSH_APPLICANTS)
    log(f"profiled rush: {profiled.figures}")
    supervisor.stop(web)  # the workers save their profiles as they exit
    supervisor.stop(worker)
    results["profile_dir"] = profile_dir
    return results
