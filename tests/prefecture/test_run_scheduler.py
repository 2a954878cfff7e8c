"""`make run`'s scheduler: the beat schedule's jobs called in-process at their times."""

import logging
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from booking.models import OutgoingMessage
from prefecture.celery import app
from prefecture.scheduler import MAX_SLEEP_SECONDS, InProcessBeat
from tests.factories import BookingFactory, SlotFactory

PARIS = ZoneInfo("Europe/Paris")
SCHEDULE = {
    "sweep": {"task": "tests.sweep", "schedule": 60.0},
    "reminders": {"task": "tests.reminders", "schedule": crontab(minute=5)},
    "slots": {"task": "tests.slots", "schedule": crontab(hour=5, minute=40)},
}


class FakeClock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _beat(clock: FakeClock, calls: list, *, run_now: bool = False, fail=()):
    def call(task: str, args: tuple, kwargs: dict):
        calls.append((task, clock.now))
        if task in fail:
            raise ValueError("Diallo Awa +33612345678")  # what a task may quote
        return 1

    return InProcessBeat(
        app=app, beat_schedule=SCHEDULE, clock=clock, run_now=run_now, call=call
    )


def _run_for(beat: InProcessBeat, clock: FakeClock, *, hours: int) -> None:
    end = clock.now + timedelta(hours=hours)
    while clock.now < end:
        clock.now += timedelta(seconds=20)
        assert 0 <= beat.tick() <= MAX_SLEEP_SECONDS


def test_each_job_runs_once_per_period_of_its_schedule():
    clock = FakeClock(datetime(2026, 3, 10, 4, 0, tzinfo=PARIS))
    calls: list = []
    beat = _beat(clock, calls)
    assert beat.tick() <= MAX_SLEEP_SECONDS and calls == []  # nothing due at start

    _run_for(beat, clock, hours=3)  # 04:00 → 07:00, Paris time

    sweeps = [at for task, at in calls if task == "tests.sweep"]
    assert len(sweeps) == 180
    assert all(b - a == timedelta(minutes=1) for a, b in pairwise(sweeps))
    reminders = [
        at.strftime("%H:%M") for task, at in calls if task == "tests.reminders"
    ]
    assert reminders == ["04:05", "05:05", "06:05"]
    slots = [at.strftime("%H:%M") for task, at in calls if task == "tests.slots"]
    assert slots == ["05:40"]


def test_run_now_runs_every_job_at_the_first_tick_then_on_its_schedule():
    clock = FakeClock(datetime(2026, 3, 10, 12, 0, tzinfo=PARIS))
    calls: list = []
    beat = _beat(clock, calls, run_now=True)
    beat.tick()
    assert sorted(task for task, _at in calls) == [
        "tests.reminders",
        "tests.slots",
        "tests.sweep",
    ]
    calls.clear()
    beat.tick()  # the same instant: nothing runs twice
    assert calls == []
    _run_for(beat, clock, hours=1)
    assert [task for task, _at in calls].count("tests.slots") == 0
    assert [task for task, _at in calls].count("tests.reminders") == 1


def test_a_failing_job_is_logged_without_its_message_and_runs_again(caplog):
    clock = FakeClock(datetime(2026, 3, 10, 4, 0, tzinfo=PARIS))
    calls: list = []
    beat = _beat(clock, calls, fail=("tests.sweep",))
    with caplog.at_level(logging.INFO, logger="prefecture.scheduler"):
        _run_for(beat, clock, hours=1)

    assert [task for task, _at in calls].count("tests.sweep") == 60  # every minute
    assert [task for task, _at in calls].count("tests.reminders") == 1  # not stopped
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 60
    assert failures[0].getMessage() == (
        "scheduled job sweep (tests.sweep) failed: ValueError"
    )
    assert "Diallo" not in caplog.text and "+336" not in caplog.text


def test_an_unknown_task_in_the_schedule_fails_at_start():
    with pytest.raises((LookupError, ImportError)):
        InProcessBeat(
            app=app,
            beat_schedule={"x": {"task": "booking.tasks.no_such_task", "schedule": 60}},
            clock=timezone.localtime,
        )


# Committed rows: the scheduler closes its connection around each job, as a worker does.
@pytest.mark.django_db(transaction=True)
def test_the_command_runs_the_real_jobs_reminders_included(settings, caplog):
    settings.DEBUG = True
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL  # no quiet hours
    booking = BookingFactory(
        slot=SlotFactory(starts_at=timezone.now() + timedelta(hours=30))
    )
    type(booking).objects.filter(pk=booking.pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    with caplog.at_level(logging.INFO, logger="prefecture.scheduler"):
        call_command("run_scheduler", "--run-now", "--once")

    done = [r.getMessage() for r in caplog.records if r.name == "prefecture.scheduler"]
    assert len(done) == len(settings.CELERY_BEAT_SCHEDULE)
    assert all(" done: " in line for line in done), done

    assert OutgoingMessage.objects.filter(
        booking=booking, kind=OutgoingMessage.Kind.BOOKING_REMINDER
    ).exists()


def test_the_command_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("run_scheduler", "--once")
