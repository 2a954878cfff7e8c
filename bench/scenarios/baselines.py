"""The baselines every figure is compared with: (a) a minimal view, (b) the
bare booking POST through the ORM, (c) the same transaction in pgbench, (d) 10,000
no-op Celery tasks."""

import random
import re
import subprocess
import time

from bench import client, config, dataset, processes
from bench.processes import BenchError
from bench.scenarios.common import (
    BASELINE_SECONDS,
    SMS_CARDS,
    closed_loop_figures,
)

# --- baselines ------------------------------------------------------------------


def baseline_minimal() -> dict:
    """(a) the framework ceiling."""

    async def one(http, recorder, deadline):
        await client.timed(http, recorder, "minimal", "GET", "/bench/minimal/")

    return closed_loop_figures("baseline (a)", one)


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

    figures = closed_loop_figures("baseline (b)", one)
    dataset.clear_baseline_bookings(opening.procedure)
    return figures


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
