"""Settings come from the environment as CONTRACT says; production passes --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from prefecture.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def production_env() -> dict[str, str]:
    values = {}
    for line in (ROOT / "deploy" / "production.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def run_django(
    code_or_args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess:
    # Only what the test names: not the test run's own HTTPS_ONLY, SECRET_KEY, ...
    inherited = {"PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV"}
    clean = {k: v for k, v in os.environ.items() if k in inherited}
    return subprocess.run(
        [sys.executable, *code_or_args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_value(expression: str, env: dict[str, str]) -> str:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE',"
        " 'prefecture.settings'); django.setup(); from django.conf import settings;"
        f" print({expression})"
    )
    result = run_django(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_passes_without_warning_under_documented_production_env():
    env = production_env()
    # A reachable database is not needed for the checks; keep them offline.
    env["DATABASE_URL"] = "sqlite:///:memory:"
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_when_debug_is_off():
    result = run_django(["manage.py", "check"], {"DEBUG": "false", "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_default_is_sqlite_eager_tasks_and_local_memory_cache():
    env = {"DEBUG": "true", "DATABASE_URL": ""}
    env.pop("DATABASE_URL")
    assert settings_value("settings.DATABASES['default']['ENGINE']", env).endswith(
        "sqlite3"
    )
    assert settings_value("settings.CELERY_TASK_ALWAYS_EAGER", env) == "True"
    assert "LocMemCache" in settings_value("settings.CACHES['default']['BACKEND']", env)


def test_redis_url_moves_cache_and_celery_broker_to_redis():
    env = {"DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/3"}
    assert settings_value("settings.CELERY_BROKER_URL", env) == env["REDIS_URL"]
    assert settings_value("settings.CELERY_TASK_ALWAYS_EAGER", env) == "False"
    assert "RedisCache" in settings_value("settings.CACHES['default']['BACKEND']", env)


def test_database_url_selects_postgresql():
    env = {"DEBUG": "true", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x"}
    engine = settings_value("settings.DATABASES['default']['ENGINE']", env)
    assert engine == "django.db.backends.postgresql"


def test_localisation_defaults():
    env = {"DEBUG": "true"}
    assert settings_value("settings.TIME_ZONE", env) == "Europe/Paris"
    assert settings_value("settings.LANGUAGE_CODE", env) == "fr"
    assert settings_value("[code for code, _ in settings.LANGUAGES]", env) == str(
        ["fr", "en"]
    )


def test_celery_app_is_configured_for_reliable_delivery():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.timezone == "Europe/Paris"
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert hasattr(celery_app.Task, "delay_on_commit")


@pytest.mark.parametrize("entry", sorted(celery_app.conf.beat_schedule))
def test_every_beat_entry_names_a_registered_task(entry):
    celery_app.loader.import_default_modules()
    assert celery_app.conf.beat_schedule[entry]["task"] in celery_app.tasks
