"""Where the bench runs: its own database, Redis db and ports, never the test suite's
(`test_prefecture`, Redis db 15) nor a developer's."""

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
# Another checkout's bench may run on the same machine: its own names then.
DB_NAME = os.environ.get("BENCH_DB_NAME", "prefecture_bench")
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "14"))
WEB_PORT = int(os.environ.get("BENCH_WEB_PORT", "8765"))
SMS_PORT = int(os.environ.get("BENCH_SMS_PORT", "8766"))
SMS_API_KEY = "test-api-key"  # tests/booking/fake_brevo.py checks this one
SMS_PATH = "/v3/transactionalSMS/send"
# Three runs of every figure; fewer only to try the bench out while changing it.
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# The 10 MB delivery list takes minutes a run (three runs were half of make bench),
# and its import's time varied by under 10 % between runs: measured once.
DELIVERY_RUNS = min(RUNS, 1)


@dataclass(frozen=True)
class Gunicorn:
    """A gunicorn configuration: worker class and count (threads for gthread)."""

    worker_class: str
    workers: int
    threads: int = 1

    @property
    def label(self) -> str:
        if self.worker_class == "gthread":
            return f"gthread, {self.workers} workers × {self.threads} threads"
        return f"{self.worker_class}, {self.workers} workers"

    @property
    def db_connections(self) -> int:
        return self.workers * self.threads


# Measured at the start of every run; the best one serves every scenario.
# - Not 2 sync workers: gunicorn 27 lingers after each response until the client
#   closes its end, and 2 workers sat idle in those waits (a rush: 166 s with 2,
#   143 s with 4, 141 s with 6; 2026-11-27).
# - Not gthread: a gthread worker replaced by --max-requests closed keep-alive
#   connections on which clients had already sent their next request (27 requests
#   without an answer in one rush, 2026-11-27); a sync worker closes each connection
#   after its response, so a restart loses none.
GUNICORN_CANDIDATES = [
    Gunicorn("sync", 4),
    Gunicorn("sync", 6),
]
# A candidate after the first is chosen only when it beats it by this much: the
# 6-second measurement varies more than 5 % between runs (4 workers won by 77 to 75
# on 2026-11-30 at 06:00, 6 workers by 159 to 150 at 09:00), and on 2 cores more
# workers means more of them waiting on each other in the rush (its confirm's server
# p50: 84 ms with 4 workers, 130 ms with 6, the same morning).
CANDIDATE_MARGIN = 1.10

# The worker configuration for the SMS scenario and baseline (d) alike.
CELERY_POOL = "prefork"
CELERY_CONCURRENCY = 4


def database_url() -> str:
    return f"{PG_URL}/{DB_NAME}"


def redis_url() -> str:
    return f"{REDIS_BASE}/{REDIS_DB}"


def base_url() -> str:
    return f"http://{HOST}:{WEB_PORT}"


def product_env() -> dict[str, str]:
    """The production environment (deploy/production.env.example) on loopback:
    plain HTTP, no proxy in front, antibot off, the bench views and the
    `Server-Timing` header on, SMS to the local provider at any hour."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(48),
        "HTTPS_ONLY": "false",
        "ALLOWED_HOSTS": f"{HOST},localhost,testserver",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "60",
        "REDIS_URL": redis_url(),
        "NUM_PROXIES": "0",
        "ANTIBOT": "off",
        "BENCH_VIEWS": "true",
        "SERVER_TIMING": "true",  # the server's own time per step, next to the client's
        "SMS_BACKEND": "brevo",
        "SMS_SENDER": "PREF45",
        "BREVO_API_KEY": SMS_API_KEY,
        "BREVO_API_URL": f"http://{HOST}:{SMS_PORT}{SMS_PATH}",
        "SMS_QUIET_FROM": "00:00",
        "SMS_QUIET_UNTIL": "00:00",
        "PUBLIC_BASE_URL": f"http://{HOST}:{WEB_PORT}",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "prefecture.settings",
    }
