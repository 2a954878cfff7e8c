import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from prefecture.celery import app
from prefecture.scheduler import InProcessBeat

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "DEBUG only (make run): runs the jobs of CELERY_BEAT_SCHEDULE in this process "
        "at their times (reminders, slot generation, sweeps). Production runs "
        "`celery beat`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--run-now",
            action="store_true",
            help="Run every job once at start, then on its schedule.",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run the jobs due now (all of them with --run-now), then exit.",
        )

    def handle(self, *args, run_now: bool, once: bool, **options):
        if not settings.DEBUG:
            raise CommandError(
                "run_scheduler works only with DEBUG on (a laptop demo); "
                "production runs `celery -A prefecture beat`."
            )
        beat = InProcessBeat(
            app=app,
            beat_schedule=settings.CELERY_BEAT_SCHEDULE,
            clock=timezone.localtime,
            run_now=run_now,
        )
        logger.info("scheduler started: %s", ", ".join(job.name for job in beat.jobs))
        if once:
            beat.tick()
            return
        try:
            while True:
                # Never a busy loop, even when a job is due again at once.
                time.sleep(max(beat.tick(), 0.5))
        except KeyboardInterrupt:
            pass
