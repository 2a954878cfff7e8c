"""Uploads as agents have them (issue 15, item 6): Excel workbooks, a preview before
anything is written, and large files read and written by the worker batch by batch,
with their progress, resumed after a worker's death, emptied once done."""

import io
import zipfile
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from openpyxl import Workbook

from booking.models import Card, ImportJob, OutgoingMessage, TitleRecord
from booking.services import imports
from booking.services.cards import cards_ready_from_csv
from booking.services.csv_rows import CsvFileError
from booking.services.register import titles_import
from tests.admin_uploads import (
    DELIVERY_URL,
    REGISTER_URL,
    admin_upload,
    figure,
    job_id,
    work,
)
from tests.agents import login_role
from tests.factories import CardFactory, SiteFactory

pytestmark = pytest.mark.django_db

REGISTER_HEADER = ["numero_etranger", "date_validite", "code_postal", "type_titre"]
DELIVERY_HEADER = "numero_etranger,nom,prenom,telephone,site\n"


def workbook(*rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def delivery_list(count: int, start: int = 4500000000) -> bytes:
    lines = [f"{start + n},Nom,Prénom,06{n % 100000000:08d},\n" for n in range(count)]
    return (DELIVERY_HEADER + "".join(lines)).encode()


# --- Excel workbooks, as agents save them


def test_a_register_workbook_is_read_as_excel_stores_it():
    """Excel keeps numbers and dates, not text: a numéro typed as a number, a date
    cell, a postal code and a phone number that lost their leading 0."""
    data = workbook(
        [*REGISTER_HEADER, "telephone", None, None],  # formatted empty columns
        [4598765432, datetime(2028, 3, 31), 1000, "carte_resident", 612345678],
        [None, None, None, None, None],  # a blank row Excel kept
        [4512345678.0, "30/06/2027", "45100", "carte_sejour", None],
        [12345, datetime(2028, 1, 1), 45000, "carte_sejour", None],
    )
    report = titles_import(data=data)
    assert (report.imported, report.rejected[0][0]) == (2, 5)  # Excel's row number
    record = TitleRecord.objects.get(numero_etranger="4598765432")
    assert str(record.valid_until) == "2028-03-31"
    assert (record.postal_code, record.mobile) == ("01000", "+33612345678")
    assert str(TitleRecord.objects.get(numero_etranger="4512345678").valid_until) == (
        "2027-06-30"
    )


def test_a_delivery_workbook_marks_its_cards_ready():
    SiteFactory(name="Orléans")
    data = workbook(
        ["numero_etranger", "nom", "prenom", "telephone", "site"],
        [4598765432, "Diallo", "Awa", 612345678, "orléans"],
    )
    report = cards_ready_from_csv(data=data, by="agent", now=timezone.now())
    assert report.ready == 1
    assert Card.objects.get().mobile == "+33612345678"


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"\x00" * 200,  # a truncated archive
        b"",  # filled below: a zip that is no workbook
    ],
)
def test_a_file_that_is_no_workbook_is_refused_whole_with_the_way_out(data):
    if not data:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("photo.txt", "not a sheet")
        data = out.getvalue()
    with pytest.raises(CsvFileError, match="Classeur illisible"):
        titles_import(data=data)
    assert not TitleRecord.objects.exists()


# The first bytes of every Excel 97–2003 workbook (an OLE2 compound file), then a
# header sector as Excel writes it: agents still have such files.
OLD_EXCEL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00"
OLD_EXCEL += b"\xfe\xff\x09\x00" + b"\x00" * 488


@pytest.mark.parametrize("url", [REGISTER_URL, DELIVERY_URL])
def test_an_old_excel_workbook_is_refused_with_how_to_save_it(admin_client, url):
    # It was read as Windows-1252 text and refused for its "missing columns".
    page = admin_upload(admin_client, url, "registre.xls", OLD_EXCEL, confirm=False)
    page = page.replace("&#x27;", "’").replace("&quot;", '"')
    assert "ancien format (.xls)" in page and "Classeur Excel (.xlsx)" in page
    assert "Colonnes manquantes" not in page
    assert not ImportJob.objects.exists() and not TitleRecord.objects.exists()


def test_a_workbook_without_the_columns_names_them():
    with pytest.raises(CsvFileError, match="Colonnes manquantes : code_postal"):
        titles_import(data=workbook(["numero_etranger", "date_validite"]))


# --- the preview: nothing written before the agent confirms


def test_the_register_preview_writes_nothing_then_the_confirmation_imports(
    admin_client,
):
    data = (
        ",".join(REGISTER_HEADER) + "\n208006503,2028-03-31,45000,carte_resident\n"
        "12,2028-03-31,45000,carte_resident\n"
    ).encode()
    preview = admin_upload(
        admin_client, REGISTER_URL, "registre.csv", data, confirm=False
    )
    assert "rien n’est encore écrit" in preview
    assert figure(preview, "Titres nouveaux") == 1
    assert figure(preview, "Lignes refusées") == 1 and "Ligne 3" in preview
    assert not TitleRecord.objects.exists()
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.PREVIEWED
    admin_client.post(f"{REGISTER_URL}{job.pk}/", {"confirm": "1"})
    assert TitleRecord.objects.count() == 1
    job.refresh_from_db()
    assert (job.status, bytes(job.data)) == (ImportJob.Status.DONE, b"")
    assert job.confirmed_by == "admin"


def test_the_delivery_preview_sends_nothing_and_says_what_will_happen(admin_client):
    SiteFactory()
    CardFactory(numero_etranger="4512345678", mobile="+33699999999")
    data = (
        DELIVERY_HEADER + "208006503,Diallo,Awa,0612345678,\n"
        "4512345678,Nguyen,Linh,0781234567,\n"
    ).encode()
    preview = admin_upload(admin_client, DELIVERY_URL, "l.csv", data, confirm=False)
    assert figure(preview, "Titres marqués disponibles (un SMS chacun)") == 2
    assert figure(preview, "Téléphones mis à jour") == 1
    assert Card.objects.count() == 1 and not OutgoingMessage.objects.exists()
    assert Card.objects.get().mobile == "+33699999999"
    assert "Confirmer : marquer disponibles et envoyer les SMS" in preview


def test_an_abandoned_upload_writes_nothing_keeps_no_file_and_cannot_be_confirmed(
    admin_client,
):
    data = (",".join(REGISTER_HEADER) + "\n208006503,2028-03-31,45000,aps\n").encode()
    admin_upload(admin_client, REGISTER_URL, "r.csv", data, confirm=False)
    job = ImportJob.objects.get()
    page = admin_client.post(f"{REGISTER_URL}{job.pk}/", {"cancel": "1"}, follow=True)
    assert "Import abandonné : rien n’a été écrit." in page.content.decode()
    page = admin_client.post(f"{REGISTER_URL}{job.pk}/", {"confirm": "1"}, follow=True)
    assert "n’attend plus de décision (abandonné)" in page.content.decode()
    job.refresh_from_db()
    assert (job.status, bytes(job.data)) == (ImportJob.Status.CANCELLED, b"")
    assert not TitleRecord.objects.exists()


def test_a_double_click_on_confirm_imports_once(admin_client):
    SiteFactory()
    data = (DELIVERY_HEADER + "208006503,Diallo,Awa,0612345678,\n").encode()
    admin_upload(admin_client, DELIVERY_URL, "l.csv", data, confirm=False)
    job = ImportJob.objects.get()
    admin_client.post(f"{DELIVERY_URL}{job.pk}/", {"confirm": "1"})
    second = admin_client.post(
        f"{DELIVERY_URL}{job.pk}/", {"confirm": "1"}, follow=True
    )
    assert "n’attend plus de décision (terminé)" in second.content.decode()
    assert OutgoingMessage.objects.count() == 1


def test_a_job_is_seen_through_its_own_page_only(admin_client):
    data = (",".join(REGISTER_HEADER) + "\n208006503,2028-03-31,45000,aps\n").encode()
    admin_upload(admin_client, REGISTER_URL, "r.csv", data, confirm=False)
    job = ImportJob.objects.get()
    assert admin_client.get(f"{DELIVERY_URL}{job.pk}/").status_code == 404
    assert (
        admin_client.post(f"{DELIVERY_URL}{job.pk}/", {"confirm": "1"}).status_code
        == 404
    )
    assert ImportJob.objects.get().status == ImportJob.Status.PREVIEWED


@pytest.mark.parametrize("role", ["accueil"])
def test_a_role_without_the_import_sees_no_job(client, admin_client, role):
    data = (",".join(REGISTER_HEADER) + "\n208006503,2028-03-31,45000,aps\n").encode()
    admin_upload(admin_client, REGISTER_URL, "r.csv", data, confirm=False)
    job = ImportJob.objects.get()
    login_role(client, role)
    for url in (f"{REGISTER_URL}{job.pk}/", f"{REGISTER_URL}{job.pk}/etat/"):
        assert client.get(url).status_code == 403
    assert client.post(f"{REGISTER_URL}{job.pk}/", {"confirm": "1"}).status_code == 403


def test_the_file_name_is_kept_printable_and_short(admin_client):
    data = (",".join(REGISTER_HEADER) + "\n208006503,2028-03-31,45000,aps\n").encode()
    admin_upload(
        admin_client, REGISTER_URL, "a\tb\u202e" + "x" * 500, data, confirm=False
    )
    name = ImportJob.objects.get().filename
    assert name.startswith("abx") and len(name) <= 200


# --- large files: the worker, its progress, its death


def test_a_large_file_goes_to_the_worker_and_its_progress_is_shown(
    admin_client, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_BYTES = 100
    SiteFactory()
    data = delivery_list(30)
    response = admin_client.post(DELIVERY_URL, {"file": _upload(data)})
    url = response.url
    job = ImportJob.objects.get()
    # Published after the commit, not run in the request.
    assert job.status == ImportJob.Status.ANALYSIS_QUEUED
    state = admin_client.get(f"{url}etat/").json()
    assert state == {
        "status": "analyse_attente",
        "working": True,
        "words": "analyse en attente",
        "done": 0,
        "total": 0,
        "percent": 0,
    }
    page = admin_client.get(url).content.decode()
    assert '<progress id="import-bar" max="100" value="0">' in page
    assert "Mettre à jour la page" in page  # without JavaScript
    work(url)
    with django_capture_on_commit_callbacks(execute=True) as published:
        admin_client.post(url, {"confirm": "1"})
    # The import's task, published after the commit and the response (then, in
    # it, the SMS).
    publish = published[0].args[0]  # after_response(partial(publish, task, args))
    assert publish.args[0].name == "booking.tasks.run_import_job"
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    assert admin_client.get(f"{url}etat/").json()["percent"] == 100
    assert OutgoingMessage.objects.count() == 30


def test_a_worker_killed_mid_import_is_resumed_from_its_last_batch(
    admin_client, monkeypatch
):
    """The first worker dies during the third batch: the sweeper hands the job on,
    the next worker goes on from there. Every card gets one SMS, the result counts
    each line once."""
    SiteFactory()
    monkeypatch.setattr(imports, "BATCH", 4)
    data = delivery_list(10)
    admin_upload(admin_client, DELIVERY_URL, "l.csv", data, confirm=False)
    job = ImportJob.objects.get()
    real_step = imports.cards_ready_lines
    calls = []

    def dying_step(lines, report, **kwargs):
        calls.append(len(lines))
        if len(calls) == 3:
            raise SystemExit("worker killed")  # not an Exception: nothing catches it
        real_step(lines, report, **kwargs)

    monkeypatch.setattr(imports, "cards_ready_lines", dying_step)
    with pytest.raises(SystemExit):
        admin_client.post(f"{DELIVERY_URL}{job.pk}/", {"confirm": "1"})
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.result["counts"]["ready"]) == (
        ImportJob.Status.RUNNING,
        8,
        8,
    )
    # A minute later the job is not yet taken for dead; past the delay it is.
    assert imports.imports_sweep(now=timezone.now() + timedelta(minutes=1)) == 0
    later = timezone.now() + timedelta(
        seconds=imports.settings.IMPORT_STALE_SECONDS + 1
    )
    monkeypatch.setattr(imports.timezone, "now", lambda: later)
    assert imports.imports_sweep(now=later) == 1  # eager: the task runs now
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.result["counts"]["ready"]) == (
        ImportJob.Status.DONE,
        10,
        10,
    )
    assert OutgoingMessage.objects.count() == Card.objects.count() == 10


def test_a_job_another_worker_holds_is_not_run_twice():
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        status=ImportJob.Status.RUNNING,
        data=b"x",
        created_by="a",
    )
    # Fresh progress: its worker is alive.
    assert imports._claim(job.pk, timezone.now()) is None
    assert imports._claim(job.pk, timezone.now() + timedelta(hours=1)) is not None


def test_a_lost_publish_is_made_again_and_an_old_preview_is_abandoned(admin_client):
    queued = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        data=(
            ",".join(REGISTER_HEADER) + "\n208006503,2028-03-31,45000,aps\n"
        ).encode(),
        created_by="a",
    )
    previewed = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        status=ImportJob.Status.PREVIEWED,
        data=b"numeros",
        created_by="a",
    )
    assert imports.imports_sweep(now=timezone.now() + timedelta(hours=25)) == 1
    queued.refresh_from_db()
    previewed.refresh_from_db()
    assert queued.status == ImportJob.Status.PREVIEWED
    assert (previewed.status, bytes(previewed.data)) == (
        ImportJob.Status.CANCELLED,
        b"",
    )


def test_jobs_are_purged_with_the_personal_data(admin_client):
    from booking import services

    old = ImportJob.objects.create(kind="registre", created_by="a", status="termine")
    ImportJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=91)
    )
    recent = ImportJob.objects.create(kind="registre", created_by="a", status="termine")
    report = services.personal_data_purge(now=timezone.now())
    assert report.import_jobs_deleted == 1
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [recent.pk]


def test_an_unexpected_error_fails_the_job_with_words_and_keeps_no_file(
    admin_client, monkeypatch
):
    def broken(data):
        raise RuntimeError("boom")

    monkeypatch.setattr(imports, "read_rows", broken)
    data = (",".join(REGISTER_HEADER) + "\n208006503,2028-03-31,45000,aps\n").encode()
    page = admin_upload(admin_client, REGISTER_URL, "r.csv", data, confirm=False)
    assert "Erreur inattendue" in page
    job = ImportJob.objects.get()
    assert (job.status, bytes(job.data)) == (ImportJob.Status.FAILED, b"")
    assert job_id(f"{REGISTER_URL}{job.pk}/") == job.pk


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("livraison.csv", data)


def test_one_import_of_a_kind_at_a_time_the_next_goes_on_after_it(
    django_capture_on_commit_callbacks,
):
    """Two delivery lists naming the same person, confirmed together, would each
    create a card: the second waits until the first is done."""
    SiteFactory()
    data = delivery_list(3)
    first, second = (
        ImportJob.objects.create(
            kind=ImportJob.Kind.DELIVERY,
            status=ImportJob.Status.QUEUED,
            data=data,
            size=len(data),
            created_by="a",
        )
        for _ in range(2)
    )
    ImportJob.objects.filter(pk=first.pk).update(status=ImportJob.Status.RUNNING)
    imports.import_job_work(job_id=second.pk, now=timezone.now())
    second.refresh_from_db()
    assert second.status == ImportJob.Status.QUEUED  # its turn has not come
    # A register import is not held up by a delivery list.
    register = ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        status=ImportJob.Status.QUEUED,
        data=(
            ",".join(REGISTER_HEADER) + "\n208006503,2028-03-31,45000,aps\n"
        ).encode(),
        created_by="a",
    )
    imports.import_job_work(job_id=register.pk, now=timezone.now())
    register.refresh_from_db()
    assert register.status == ImportJob.Status.DONE
    # The first one, taken for dead and resumed, ends: the second then runs.
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_job_work(
            job_id=first.pk, now=timezone.now() + timedelta(hours=1)
        )
    second.refresh_from_db()
    assert second.status == ImportJob.Status.DONE
    counts = second.result["counts"]
    assert (counts["ready"], counts["already"]) == (0, 3)  # the same three people
    assert OutgoingMessage.objects.count() == Card.objects.count() == 3


def test_a_list_that_sends_nothing_does_not_say_it_sends_sms(admin_client):
    """Found walking the agents' day: the re-import's preview (0 SMS) still said
    "envoyer les SMS"."""
    SiteFactory()
    data = (DELIVERY_HEADER + "208006503,Diallo,Awa,0612345678,\n").encode()
    admin_upload(admin_client, DELIVERY_URL, "l.csv", data)
    again = admin_upload(admin_client, DELIVERY_URL, "l.csv", data, confirm=False)
    assert "Confirmer l’import (aucun SMS)" in again
    assert "envoyer les SMS" not in again


def test_a_file_of_too_many_lines_is_refused_whole(monkeypatch):
    """A workbook compressed from millions of rows must not fill the worker's
    memory: past MAX_LINES the file is refused, nothing written."""
    from booking.services import csv_rows

    monkeypatch.setattr(csv_rows, "MAX_LINES", 50)
    rows = [[*REGISTER_HEADER]] + [
        [4500000000 + n, "2028-03-31", 45000, "aps"] for n in range(60)
    ]
    with pytest.raises(CsvFileError, match="Fichier trop long : 50 lignes au plus"):
        titles_import(data=workbook(*rows))
    assert not TitleRecord.objects.exists()
