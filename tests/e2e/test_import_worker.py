"""A large delivery list uploaded in the admin, with a real Celery worker on Redis:
the request only stores the file and publishes; the worker reads it (the preview),
then, once the agent confirms, writes it batch by batch while the page's progress
moves; every card ends ready with one SMS.

Figures: `.venv/bin/python -m pytest tests/e2e/test_import_worker.py -s`."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from booking.models import Card, ImportJob, OutgoingMessage
from tests.agents import login_agent
from tests.e2e.celery_broker import real_worker, wait_until
from tests.factories import SiteFactory

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

LINES = 6000


@pytest.fixture
def worker():
    with real_worker(concurrency=2):
        yield


def test_a_large_delivery_list_is_read_and_written_by_the_worker(
    worker, admin_user, settings
):
    settings.IMPORT_INLINE_BYTES = 1024  # this file is ~200 KB: the worker's
    SiteFactory()
    client = login_agent(Client(), admin_user)
    data = "numero_etranger,nom,prenom,telephone,site\n" + "".join(
        f"{4500000000 + n},Nom,Prénom,06{n:08d},\n" for n in range(LINES)
    )
    started = time.perf_counter()
    response = client.post(
        "/admin/booking/card/livraison/",
        {"file": SimpleUploadedFile("livraison.csv", data.encode())},
    )
    uploaded = time.perf_counter() - started
    url = response.url
    wait_until(lambda: ImportJob.objects.get().status == ImportJob.Status.PREVIEWED)
    previewed = time.perf_counter() - started
    page = client.get(url).content.decode()
    assert (
        f'<th scope="row">Titres marqués disponibles (un SMS chacun)</th><td>{LINES}</td>'
        in page
    )
    assert not Card.objects.exists()

    started = time.perf_counter()
    client.post(url, {"confirm": "1"})
    seen = set()

    def done() -> bool:
        state = client.get(f"{url}etat/").json()
        seen.add(state["percent"])
        return state["status"] == "termine"

    wait_until(done, timeout=60)
    imported = time.perf_counter() - started
    assert Card.objects.filter(status=Card.Status.READY).count() == LINES
    assert OutgoingMessage.objects.count() == LINES  # one SMS each
    assert seen & set(range(1, 100)), seen  # the progress moved between 0 and 100
    job = ImportJob.objects.get()
    assert (job.status, bytes(job.data), job.result["counts"]["ready"]) == (
        ImportJob.Status.DONE,
        b"",
        LINES,
    )
    print(
        f"\n{LINES} lines: upload {uploaded:.2f} s, preview ready {previewed:.2f} s, "
        f"import {imported:.2f} s"
    )
