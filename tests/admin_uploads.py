"""Uploading a file on an admin import page as an agent does: the file, its preview,
then the confirmation; the worker's part (a large file's) is run in place."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from booking.services.imports import import_job_work

REGISTER_URL = "/admin/booking/titlerecord/importer/"
DELIVERY_URL = "/admin/booking/card/livraison/"


def admin_upload(
    client: Client, url: str, name: str, data: bytes, *, confirm: bool = True
) -> str:
    """The HTML of the page the agent ends on: the upload form again (a file refused
    whole), the preview (``confirm=False``), or the result."""
    response = client.post(url, {"file": SimpleUploadedFile(name, data)})
    if response.status_code != 302:
        return response.content.decode()
    job_url = response.url
    work(job_url)
    if confirm:
        client.post(job_url, {"confirm": "1"})
        work(job_url)
    return client.get(job_url).content.decode()


def work(job_url: str) -> None:
    """What the worker does for a job published after a commit (a test's
    transaction never commits): nothing if the request did it already."""
    import_job_work(job_id=job_id(job_url), now=timezone.now())


def job_id(job_url: str) -> int:
    return int(job_url.rstrip("/").rsplit("/", 1)[-1])


def figure(html: str, words: str) -> int:
    """The number the preview or result table gives after ``words``."""
    found = re.search(rf'<th scope="row">{re.escape(words)}</th><td>(\d+)</td>', html)
    assert found, f"no figure for {words!r}"
    return int(found.group(1))
