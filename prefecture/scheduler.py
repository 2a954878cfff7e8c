"""The beat of `make run`: the entries of CELERY_BEAT_SCHEDULE called in this process at
their due times, so a laptop demo without Redis shows reminders, generated slots and the
sweeps. Celery's own beat cannot serve there: it publishes to a broker, and the demo's
in-memory broker belongs to another process; the demo's tasks run eagerly anyway.
Production runs `celery beat` (README); nothing here is used by it."""

import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule, maybe_schedule
from django.db import close_old_connections

logger = logging.getLogger(__name__)

# Never sleep longer than this between two checks (a laptop's clock jumps on resume).
MAX_SLEEP_SECONDS = 30.0


@dataclass
class ScheduledJob:
    name: str
    task: str
    schedule: BaseSchedule
    last_run_at: datetime
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    run_first: bool = False  # due at the first tick, whatever its schedule says


class InProcessBeat:
    """Calls each job of a beat schedule once per period of its schedule, in turn, in
    this process. A job that raises is logged (its name and the exception's type, never
    the message: it may quote an applicant) and runs again at its next period."""

    def __init__(
        self,
        *,
        app: Celery,
        beat_schedule: Mapping[str, Mapping[str, Any]],
        clock: Callable[[], datetime],
        run_now: bool = False,
        call: Callable[[str, tuple, dict], Any] | None = None,
    ):
        self.clock = clock
        self._app = app
        self._call = call or self._call_task
        start = clock()
        self.jobs: list[ScheduledJob] = []
        for name, spec in beat_schedule.items():
            # A copy on this clock: the settings' schedule objects stay as they are.
            schedule = copy.copy(maybe_schedule(spec["schedule"], app=app))
            if not isinstance(schedule, BaseSchedule):
                raise TypeError(f"{name}: unsupported schedule {spec['schedule']!r}")
            schedule.nowfun = clock
            self.jobs.append(
                ScheduledJob(
                    name=name,
                    task=spec["task"],
                    schedule=schedule,
                    last_run_at=start,
                    args=tuple(spec.get("args", ())),
                    kwargs=dict(spec.get("kwargs", {})),
                    run_first=run_now,
                )
            )
        if call is None:
            for job in self.jobs:  # registers the task; a wrong name fails here
                import_module(job.task.rpartition(".")[0])
            missing = [job.task for job in self.jobs if job.task not in app.tasks]
            if missing:
                raise LookupError(f"unknown tasks in the beat schedule: {missing}")

    def tick(self) -> float:
        """Runs every job that is due now, once each; returns the seconds until the next
        one is due (at most MAX_SLEEP_SECONDS)."""
        next_check = MAX_SLEEP_SECONDS
        for job in self.jobs:
            now = self.clock()
            due = job.run_first or job.schedule.is_due(job.last_run_at).is_due
            if due:
                job.run_first = False
                job.last_run_at = now
                self._run(job)
            next_check = min(next_check, job.schedule.is_due(job.last_run_at).next)
        return max(next_check, 0.0)

    def _run(self, job: ScheduledJob) -> None:
        close_old_connections()
        try:
            result = self._call(job.task, job.args, job.kwargs)
        except Exception as error:  # the next job and the next period still run
            logger.error(
                "scheduled job %s (%s) failed: %s",
                job.name,
                job.task,
                type(error).__name__,
            )
        else:
            # The beat tasks return counts, never personal data.
            logger.info("scheduled job %s done: %s", job.name, result)
        finally:
            close_old_connections()

    def _call_task(self, task: str, args: tuple, kwargs: dict) -> Any:
        return self._app.tasks[task](*args, **kwargs)
