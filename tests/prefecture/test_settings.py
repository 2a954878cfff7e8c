"""Settings come from the environment as CONTRACT says; production passes --deploy."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from booking import services
from booking.models import OutgoingMessage
from booking.services.outbox import first_sending_time
from prefecture.celery import app as celery_app
from tests.factories import CardFactory

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


@pytest.mark.parametrize(
    "left_out, warning",
    [
        ("REDIS_URL", "prefecture.W001"),  # limits and codes kept per process
        ("EMAIL_URL", "prefecture.W002"),  # e-mails, links in them, to the log
        ("SMS_BACKEND", "prefecture.W003"),  # the console's SMS reach nobody
    ],
)
def test_check_deploy_warns_of_each_laptop_default_left_in_production(
    left_out, warning
):
    env = production_env()
    env["DATABASE_URL"] = "sqlite:///:memory:"
    del env[left_out]
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert warning in output
    assert {w for w in ("W001", "W002", "W003") if w in output} == {warning[-4:]}


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
    assert engine == "prefecture.postgresql"  # Django's, its health check delayed


def test_localisation_defaults():
    env = {"DEBUG": "true"}
    assert settings_value("settings.TIME_ZONE", env) == "Europe/Paris"
    assert settings_value("settings.LANGUAGE_CODE", env) == "fr"
    assert settings_value("[code for code, _ in settings.LANGUAGES]", env) == str(
        ["fr", "en"]
    )


def test_the_beat_runs_on_the_time_zone_setting():
    env = {"DEBUG": "true", "TIME_ZONE": "Indian/Reunion"}
    assert settings_value("settings.CELERY_TIMEZONE", env) == "Indian/Reunion"


def test_sms_quiet_hours_follow_the_time_zone_setting(settings):
    settings.TIME_ZONE = "Indian/Reunion"  # UTC+4 all year
    one_at_night = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)  # 22:00 in Paris
    eight_next_morning = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
    assert first_sending_time(one_at_night) == eight_next_morning


@pytest.mark.django_db
def test_the_collection_window_follows_the_time_zone_setting(settings):
    settings.TIME_ZONE = "Indian/Reunion"
    ten_in_reunion = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # 7:00 in Paris
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=ten_in_reunion)
    message = OutgoingMessage.objects.get(card=card)
    services.message_send(message_id=message.pk, now=ten_in_reunion)
    services.card_hand_over(card_id=card.pk, by="accueil", now=ten_in_reunion)
    card.refresh_from_db()
    assert card.status == "remise"


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
