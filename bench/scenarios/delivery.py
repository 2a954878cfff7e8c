"""A delivery list of 10 MB uploaded in the admin, read and written by the
worker."""

import itertools
import time

from bench import dataset
from bench.scenarios.common import (
    InvariantBroken,
)

# --- a delivery list of 10 MB uploaded in the admin -----------------------------

DELIVERY_BYTES = 10 * 1024 * 1024
_delivery_runs = itertools.count(0)


def delivery_file() -> tuple[bytes, int, int]:
    """A delivery list of just under 10 MB (the upload form's limit), as French
    Excel saves it (semicolons, Windows-1252, accented names): every line a new
    person with a valid mobile. Each run has its own numéros."""
    base = 9_100_000_000 + next(_delivery_runs) * 1_000_000
    header = "numero_etranger;nom;prenom;telephone;site\r\n"
    lines, size, n = [header], len(header), 0
    while True:
        line = f"{base + n};Hénin-Beaumont;Zoé-Amélie;06{n:08d};\r\n"
        if size + len(line) > DELIVERY_BYTES:
            break
        lines.append(line)
        size += len(line)
        n += 1
    return "".join(lines).encode("cp1252"), base, n


def delivery() -> dict:
    """The 10 MB list through the admin's services: the upload (the request), the
    preview read by the Celery worker, the agent's confirmation, the import written
    by the worker batch by batch. Checks every line became one ready card with one
    SMS. The SMS are then withdrawn (refused) so that the local provider does not
    spend the next ten minutes receiving 250,000 of them: delivery at volume is the
    "carte disponible" scenario's."""
    from booking import services
    from booking.models import Card, ImportJob, OutgoingMessage

    dataset.site()
    data, base, lines = delivery_file()
    start = time.perf_counter()
    job = services.import_upload(
        kind=ImportJob.Kind.DELIVERY, data=data, filename="livraison.csv", by="banc"
    )
    uploaded = time.perf_counter() - start
    _wait_job(job.pk, ImportJob.Status.PREVIEWED)
    previewed = time.perf_counter() - start
    job.refresh_from_db()
    if job.preview["counts"]["ready"] != lines:
        raise InvariantBroken(f"delivery preview: {job.preview['counts']} for {lines}")
    start = time.perf_counter()
    services.import_job_confirm(job_id=job.pk, by="banc")
    _wait_job(job.pk, ImportJob.Status.DONE)
    imported = time.perf_counter() - start
    job.refresh_from_db()
    cards = Card.objects.filter(
        numero_etranger__gte=str(base), numero_etranger__lt=str(base + lines)
    )
    ready = cards.filter(status=Card.Status.READY).count()
    messages = OutgoingMessage.objects.filter(
        kind=OutgoingMessage.Kind.CARD_READY, card__in=cards
    )
    sms = messages.count()
    if not (job.result["counts"]["ready"] == ready == sms == lines) or job.data:
        raise InvariantBroken(
            f"delivery: {lines} lines, result {job.result['counts']}, {ready} cards "
            f"ready, {sms} SMS, file kept: {bool(job.data)}"
        )
    messages.filter(status=OutgoingMessage.Status.PENDING).update(
        status=OutgoingMessage.Status.REFUSED, last_error="banc d'essai"
    )
    return {
        "lines": lines,
        "mb": len(data) / 1024 / 1024,
        "upload_s": uploaded,
        "preview_s": previewed,
        "import_s": imported,
        "lines_per_s": lines / imported,
    }


def _wait_job(job_id: int, status: str, *, timeout: float = 900) -> None:
    from booking.models import ImportJob

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        job = ImportJob.objects.defer("data").get(pk=job_id)
        if job.status == status:
            return
        if job.status in (ImportJob.Status.FAILED, ImportJob.Status.CANCELLED):
            raise InvariantBroken(f"delivery job {job.status}: {job.error}")
        time.sleep(0.5)
    raise InvariantBroken(f"delivery job still {job.status} after {timeout:.0f} s")
