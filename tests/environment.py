"""Chooses the test servers before Django starts (a pytest plugin, see pyproject).

PostgreSQL at 127.0.0.1:5432 is used when reachable, SQLite otherwise; Redis at
127.0.0.1:6379 likewise for the tests marked ``redis``. Under ``CI=true`` an
unreachable server is a failure, not a skip. One line says which was chosen.
"""

import os
from pathlib import Path

import psycopg
import pytest
import redis

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/prefecture"
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_error() -> str | None:
    try:
        psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3
        ).close()
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]
    return None


def _redis_error() -> str | None:
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        return str(error)
    finally:
        client.close()
    return None


# Production-like settings for the tests; a developer's own DATABASE_URL wins.
os.environ.setdefault("SECRET_KEY", "tests-only-" + "x" * 50)
os.environ.setdefault("HTTPS_ONLY", "false")
os.environ.setdefault("SMS_BACKEND", "locmem")
os.environ.pop("REDIS_URL", None)  # tests that need Redis ask for it explicitly
POSTGRES_ERROR = None
if "DATABASE_URL" not in os.environ:
    POSTGRES_ERROR = _postgres_error()
    if POSTGRES_ERROR is None:
        os.environ["DATABASE_URL"] = POSTGRES_URL
REDIS_ERROR = _redis_error()
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
if not CHROMIUM.exists():
    BROWSER_ERROR: str | None = f"{CHROMIUM} not found (apt-get install chromium)"
elif not AXE_JS.exists():
    BROWSER_ERROR = "node_modules/axe-core not installed (make test installs it)"
else:
    BROWSER_ERROR = None
USING_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def describe() -> str:
    database = (
        "PostgreSQL " + os.environ["DATABASE_URL"]
        if USING_POSTGRES
        else f"SQLite (PostgreSQL unreachable: {POSTGRES_ERROR}; "
        "tests marked postgres skipped)"
    )
    broker = (
        f"Redis {REDIS_TEST_URL}"
        if REDIS_ERROR is None
        else f"no Redis ({REDIS_ERROR}; tests marked redis skipped)"
    )
    browser = (
        "" if BROWSER_ERROR is None else f"; browser tests skipped ({BROWSER_ERROR})"
    )
    return f"test servers: database {database}; {broker}{browser}"


def pytest_configure(config):
    if IN_CI and not USING_POSTGRES:
        raise pytest.UsageError(
            f"CI=true but PostgreSQL is unreachable: {POSTGRES_ERROR}"
        )
    if IN_CI and REDIS_ERROR is not None:
        raise pytest.UsageError(f"CI=true but Redis is unreachable: {REDIS_ERROR}")
    if IN_CI and BROWSER_ERROR is not None:
        raise pytest.UsageError(
            f"CI=true but the browser tests cannot run: {BROWSER_ERROR}"
        )


def pytest_report_header(config):
    return describe()


def pytest_collection_modifyitems(config, items):
    needs_postgres = pytest.mark.skipif(
        not USING_POSTGRES, reason=f"PostgreSQL unreachable: {POSTGRES_ERROR}"
    )
    needs_redis = pytest.mark.skipif(
        REDIS_ERROR is not None, reason=f"Redis unreachable: {REDIS_ERROR}"
    )
    needs_browser = pytest.mark.skipif(
        BROWSER_ERROR is not None, reason=f"browser tests skipped: {BROWSER_ERROR}"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(needs_browser)
        if "postgres" in item.keywords:
            item.add_marker(needs_postgres)
        if "redis" in item.keywords:
            item.add_marker(needs_redis)


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(describe())
