"""Files agents upload in the admin (the register of titles, a delivery list), as
jobs: the file is read first and nothing is written (the preview: what the import
will do, and the first refused lines); once the agent confirms, it is written batch
by batch, each batch in its own transaction with the job's progress.

A small file is read and written in the request; a large one by a Celery task, so a
10 MB list neither holds a web worker nor dies with it. Either way the same function
runs (``import_job_work``), claiming the job first, so a job published twice runs
once. A worker killed mid-import leaves the job with its last batch's progress; the
sweeper hands it to another, which goes on from the next batch: both imports are
idempotent (the register's rows, one card and one SMS per title), so a batch
written twice would change nothing anyway.

The stored file holds numéros, names and phones: it is emptied as soon as the job
ends (imported, failed, abandoned or left unconfirmed), and the job itself is purged
after IMPORT_RETENTION_DAYS (services.retention). The preview and the result keep
line numbers and reasons only."""

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.errors import ImportJobClosed
from booking.models import ImportJob
from booking.services.cards import COLUMNS as DELIVERY_COLUMNS
from booking.services.cards import REQUIRED as DELIVERY_REQUIRED
from booking.services.cards import BatchReport, cards_ready_lines, cards_ready_read
from booking.services.csv_rows import CsvFileError, csv_rows, file_format
from booking.services.locks import advisory_lock
from booking.services.outbox import publish, publish_after_commit
from booking.services.register import COLUMNS as REGISTER_COLUMNS
from booking.services.register import REQUIRED as REGISTER_REQUIRED
from booking.services.register import ImportReport, read_rows, titles_batch

logger = logging.getLogger(__name__)

Status = ImportJob.Status
Kind = ImportJob.Kind
# Lines written per transaction (and per progress step).
BATCH = 2000
# Refused lines shown with the preview, and kept with the result.
PREVIEW_LINES = 20
RESULT_LINES = 1000
# A job left unconfirmed this long is abandoned (its file emptied).
PREVIEW_KEPT = timedelta(hours=24)
# A queued job not started this long was not published (broker down): again.
PUBLISH_LOST = timedelta(minutes=1)

Report = ImportReport | BatchReport


def _stale() -> timedelta:
    return timedelta(seconds=settings.IMPORT_STALE_SECONDS)


def _columns(kind: str) -> tuple[list[str], list[str]]:
    if kind == Kind.REGISTER:
        return REGISTER_REQUIRED, REGISTER_COLUMNS
    return DELIVERY_REQUIRED, DELIVERY_COLUMNS


def import_upload(*, kind: str, data: bytes, filename: str, by: str) -> ImportJob:
    """Records an uploaded file as a job to read, and starts reading it (in the
    request when small, else by the worker once committed). Raises CsvFileError at
    once for a file that cannot be read or lacks a column: the agent sees it on the
    upload form."""
    required, columns = _columns(kind)
    next(csv_rows(data, required=required, columns=columns), None)
    job = ImportJob.objects.create(
        kind=kind,
        data=data,
        size=len(data),
        filename=_clean_filename(filename),
        created_by=by,
        result={"format": file_format(data).words()},
    )
    _start(job)
    return job


def _clean_filename(name: str) -> str:
    return "".join(c for c in name if c.isprintable())[:200]


def _start(job: ImportJob) -> None:
    if job.size <= settings.IMPORT_INLINE_BYTES:
        import_job_work(job_id=job.pk, now=timezone.now())
    else:
        publish_after_commit(run_import_job, (job.pk,))


def import_job_confirm(*, job_id: int, by: str) -> ImportJob:
    """The agent confirms a previewed import: it is queued and starts. Raises
    ImportJobClosed when the job is not waiting for a confirmation (confirmed twice,
    abandoned, expired)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().defer("data").get(pk=job_id)
        if job.status != Status.PREVIEWED:
            raise ImportJobClosed(job.get_status_display())
        job.status = Status.QUEUED
        job.confirmed_by = by
        job.rows_done = 0
        job.save(update_fields=["status", "confirmed_by", "rows_done", "updated_at"])
    _start(job)
    job.refresh_from_db()
    return job


def import_job_cancel(*, job_id: int) -> ImportJob:
    """The agent abandons a previewed import: nothing is written, the file is
    emptied. Raises ImportJobClosed when it is no longer waiting for a decision."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().defer("data").get(pk=job_id)
        if job.status != Status.PREVIEWED:
            raise ImportJobClosed(job.get_status_display())
        _end(job, Status.CANCELLED)
    return job


def _end(job: ImportJob, status: str, *, error: str = "") -> None:
    job.status = status
    job.error = error
    job.data = b""
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "data", "finished_at", "updated_at"])
    # The imports of this kind that waited for this one (see _claim) go on.
    waiting = ImportJob.objects.filter(kind=job.kind, status=Status.QUEUED)
    publish_after_commit(
        run_import_job, *[(pk,) for pk in waiting.values_list("pk", flat=True)]
    )


def _claim(job_id: int, now: datetime) -> ImportJob | None:
    """The job, now ours (its status moved to analysing or running), or None when
    another worker has it or it has nothing to do."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(skip_locked=True)
            .defer("data")
            .filter(pk=job_id)
            .first()
        )
        if job is None:
            return None
        stale = job.updated_at < now - _stale()
        if job.status == Status.ANALYSIS_QUEUED or (
            job.status == Status.ANALYSING and stale
        ):
            job.status = Status.ANALYSING
        elif job.status == Status.QUEUED or (job.status == Status.RUNNING and stale):
            # One import of a kind at a time: two lists naming the same person
            # would both create their card. The next waits its turn (_end).
            advisory_lock("import", job.kind)
            if (
                ImportJob.objects.filter(
                    kind=job.kind,
                    status=Status.RUNNING,
                    updated_at__gte=now - _stale(),
                )
                .exclude(pk=job.pk)
                .exists()
            ):
                return None
            job.status = Status.RUNNING
        else:
            return None
        job.save(update_fields=["status", "updated_at"])
        return job


def import_job_work(*, job_id: int, now: datetime) -> None:
    """Does the job's next step (reading for the preview, or importing), if it is
    waiting for one and no other worker has it."""
    job = _claim(job_id, now)
    if job is None:
        return
    try:
        if job.status == Status.ANALYSING:
            _analyse(job)
        else:
            _import(job)
    except SoftTimeLimitExceeded:
        raise  # left running: the sweeper resumes it from its last batch
    except CsvFileError as error:  # read once at upload: only if it changed since
        _end(job, Status.FAILED, error=str(error)[:500])
    except Exception:
        # No personal data in the log: the job's id and the error's type only.
        logger.exception("import job %d failed", job.pk)
        _end(
            job,
            Status.FAILED,
            error=_(
                "Erreur inattendue : rien n’a été perdu, déposez le fichier à nouveau."
            ),
        )


def _read(job: ImportJob) -> tuple[list[tuple[int, Any]], list[tuple[int, str]]]:
    # Read here only: the job's other queries leave the file (10 MB) in the table.
    data = bytes(ImportJob.objects.values_list("data", flat=True).get(pk=job.pk))
    if job.kind == Kind.REGISTER:
        return read_rows(data)
    return cards_ready_read(data)


def _new_report(kind: str) -> Report:
    return ImportReport() if kind == Kind.REGISTER else BatchReport()


def _batch_step(job: ImportJob, *, write: bool) -> Callable[[list, Any], None]:
    if job.kind == Kind.REGISTER:
        return lambda lines, report: titles_batch(
            [record for _line, record in lines], report, write=write
        )
    by = job.confirmed_by or job.created_by
    return lambda lines, report: cards_ready_lines(
        lines, report, by=by, now=timezone.now(), write=write
    )


def counts(report: Report) -> dict[str, int]:
    """The report's figures, by name (the job's preview and result keep these)."""
    figures = {
        name: value for name, value in asdict(report).items() if isinstance(value, int)
    }
    return figures | {"rejected": len(report.rejected)}


def _analyse(job: ImportJob) -> None:
    good, bad = _read(job)
    report = _new_report(job.kind)
    report.rejected = bad
    step = _batch_step(job, write=False)
    job.rows_total, job.rows_done = len(good), 0
    for start in range(0, len(good), BATCH):
        lines = good[start : start + BATCH]
        step(lines, report)
        job.rows_done = start + len(lines)
        job.save(update_fields=["rows_total", "rows_done", "updated_at"])
    with transaction.atomic():
        ImportJob.objects.select_for_update().defer("data").get(pk=job.pk)
        job.preview = {
            "counts": counts(report),
            "rejected": bad[:PREVIEW_LINES],
        }
        job.status = Status.PREVIEWED
        job.save(
            update_fields=["preview", "status", "rows_total", "rows_done", "updated_at"]
        )


def _import(job: ImportJob) -> None:
    good, bad = _read(job)
    step = _batch_step(job, write=True)
    result = job.result
    if "counts" not in result:  # the first run; a resumed one goes on from its batch
        result |= {
            "counts": counts(_new_report(job.kind)) | {"rejected": len(bad)},
            "rejected": bad[:RESULT_LINES],
            "notices": [],
            "notices_total": 0,
        }
        job.result, job.rows_total = result, len(good)
        job.save(update_fields=["result", "rows_total", "updated_at"])
    for start in range(job.rows_done, len(good), BATCH):
        lines = good[start : start + BATCH]
        with transaction.atomic():
            current = ImportJob.objects.select_for_update().defer("data").get(pk=job.pk)
            if current.status != Status.RUNNING or current.rows_done != start:
                return  # taken for dead, and another worker has gone on
            report = _new_report(job.kind)
            step(lines, report)
            for name, value in counts(report).items():
                if name != "rejected":
                    result["counts"][name] += value
            notices = getattr(report, "notices", [])
            result["notices_total"] += len(notices)
            room = RESULT_LINES - len(result["notices"])
            result["notices"] += sorted(notices)[: max(room, 0)]
            job.result = result
            job.rows_done = start + len(lines)
            job.save(update_fields=["result", "rows_total", "rows_done", "updated_at"])
    with transaction.atomic():
        current = ImportJob.objects.select_for_update().defer("data").get(pk=job.pk)
        if current.status == Status.RUNNING:
            _end(current, Status.DONE)


def imports_sweep(*, now: datetime) -> int:
    """Every minute: publishes again the jobs whose publish was lost (broker down)
    or whose worker died (no progress for IMPORT_STALE_SECONDS), and abandons the
    previews left unconfirmed for PREVIEW_KEPT. Returns how many were published."""
    expired = ImportJob.objects.filter(
        status=Status.PREVIEWED, updated_at__lt=now - PREVIEW_KEPT
    )
    for job_id in expired.values_list("pk", flat=True):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().defer("data").get(pk=job_id)
            if job.status == Status.PREVIEWED:
                _end(job, Status.CANCELLED)
    due = ImportJob.objects.filter(
        Q(
            status__in=[Status.ANALYSIS_QUEUED, Status.QUEUED],
            updated_at__lt=now - PUBLISH_LOST,
        )
        | Q(
            status__in=[Status.ANALYSING, Status.RUNNING], updated_at__lt=now - _stale()
        )
    )
    ids = list(due.values_list("pk", flat=True))
    publish(run_import_job, *[(job_id,) for job_id in ids])
    return len(ids)


# Longer than the default: a 10 MB list takes minutes (BENCHMARKS.md). A job cut by
# the limit is resumed from its last batch by the sweeper.
@shared_task(
    name="booking.tasks.run_import_job",
    acks_late=True,
    soft_time_limit=settings.IMPORT_TASK_TIME_LIMIT,
    time_limit=settings.IMPORT_TASK_TIME_LIMIT + 30,
)
def run_import_job(job_id: int) -> None:
    import_job_work(job_id=job_id, now=timezone.now())
