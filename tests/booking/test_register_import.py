import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from booking.models import TitleRecord
from booking.services.register import RegisterFileError, titles_import
from tests.admin_uploads import REGISTER_URL, admin_upload, figure

pytestmark = pytest.mark.django_db

HEADER = "numero_etranger,date_validite,code_postal,type_titre,telephone\n"
GOOD = (
    "208006503,2028-03-31,45000,carte_resident,06 12 34 56 78\n"
    "4512345678,30/06/2027,45100,carte_sejour,\n"
)


def csv_bytes(body: str, header: str = HEADER) -> bytes:
    return (header + body).encode("utf-8")


def test_good_rows_are_imported_normalised():
    report = titles_import(data=csv_bytes(GOOD))
    assert (report.imported, report.updated, report.rejected) == (2, 0, [])
    record = TitleRecord.objects.get(numero_etranger="2008006503")
    assert record.mobile == "+33612345678"
    assert str(record.valid_until) == "2028-03-31"


def test_reimporting_the_same_file_changes_nothing():
    titles_import(data=csv_bytes(GOOD))
    before = list(TitleRecord.objects.values().order_by("pk"))
    report = titles_import(data=csv_bytes(GOOD))
    assert (report.imported, report.updated, report.unchanged) == (0, 0, 2)
    assert list(TitleRecord.objects.values().order_by("pk")) == before


def test_a_changed_row_is_updated():
    titles_import(data=csv_bytes(GOOD))
    report = titles_import(data=csv_bytes(GOOD.replace("45100", "45000")))
    assert report.updated == 1
    assert TitleRecord.objects.get(numero_etranger="4512345678").postal_code == "45000"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("12345,2028-03-31,45000,carte_sejour,", "numero_etranger"),
        ("4512345678,2025-02-30,45000,carte_sejour,", "date_validite"),
        ("4512345678,31/02/2027,45000,carte_sejour,", "date_validite"),
        ("4512345678,2027-02-28,45A00,carte_sejour,", "code_postal"),
        ("4512345678,2027-02-28,45000,visa,", "type_titre"),
        ("4512345678,2027-02-28,45000,aps,01 23 45 67 89", "telephone"),
        ("4512345678,2027-02-28,45000,aps,,extra", "trop de colonnes"),
    ],
)
def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_kept(row, reason):
    report = titles_import(data=csv_bytes(GOOD + row + "\n"))
    assert report.imported == 2
    [(line, message)] = report.rejected
    assert line == 4 and reason in message


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("4512345678,2027-02-28,45000,aps,01 23 45 67 89", "telephone : numéro fixe"),
        (
            '4512345678,2027-02-28,45000,"aps\x00",',
            "type_titre : caractère de contrôle",
        ),
        ("4512345678,2027-02-28,45000,aps,06\x0012345678", "telephone : caractère de"),
        ('4512345678,"2027-02-28\x1b",45000,aps,', "date_validite : caractère de"),
    ],
)
def test_the_register_and_the_delivery_list_give_the_same_reasons(row, reason):
    report = titles_import(data=csv_bytes(GOOD + row + "\n"))
    [(line, message)] = report.rejected
    assert line == 4 and message.startswith(reason)


def test_duplicate_numbers_in_a_file_are_reported():
    report = titles_import(data=csv_bytes(GOOD + "2008006503,2029-01-01,45000,aps,\n"))
    assert report.rejected == [(4, "numero_etranger en double (déjà ligne 2)")]
    assert str(TitleRecord.objects.get(numero_etranger="2008006503").valid_until) == (
        "2028-03-31"
    )


@pytest.mark.parametrize(
    "data",
    [
        # Neither UTF-8 nor Windows-1252 (0x81 is unassigned there).
        (HEADER + "4512345678,2027-02-28,45000,carte_sejour\n").encode() + b"\x81\xff",
        b"numero_etranger,code_postal\n4512345678,45000\n",
        bytes(range(256)) * 40,
        b"",
        b"\x00\x01\x02",
    ],
)
def test_a_broken_file_is_refused_whole(data):
    with pytest.raises(RegisterFileError):
        titles_import(data=data)
    assert not TitleRecord.objects.exists()


def test_command_prints_the_contract_summary_and_each_rejected_line(tmp_path, capsys):
    path = tmp_path / "registre.csv"
    path.write_bytes(csv_bytes(GOOD + "12345,2028-03-31,45000,carte_sejour,\n"))
    call_command("import_titles", str(path))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "imported 2, updated 0, rejected 1"
    assert out[1].startswith("line 4: numero_etranger")


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_titles", str(tmp_path / "absent.csv"))


def test_the_same_import_in_the_admin(admin_client):
    html = admin_upload(
        admin_client,
        REGISTER_URL,
        "registre.csv",
        csv_bytes(GOOD + "12345,2028-03-31,45000,aps,\n"),
    )
    assert figure(html, "Titres nouveaux") == 2
    assert figure(html, "Lignes refusées") == 1
    assert "Ligne 4" in html


@pytest.mark.parametrize(
    "content", [b"\xff\xfe\x00garbage", b"a,b\n1,2\n", "é\n".encode("latin-1")]
)
def test_a_broken_register_upload_is_reported_without_partial_import(
    admin_client, content
):
    upload = SimpleUploadedFile("x.csv", content)
    page = admin_client.post("/admin/booking/titlerecord/importer/", {"file": upload})
    assert page.status_code == 200 and "errorlist" in page.content.decode()
    assert not TitleRecord.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * (10 * 1024 * 4),  # 10 MB of bytes that are not UTF-8
        b"zz,yy\n" * (10 * 1024 * 1024 // 6),  # 10 MB of text without the header
        (HEADER + "1,2,3,4,5\n" * (10 * 1024 * 1024 // 10)).encode(),  # 10 MB bad rows
    ],
)
def test_ten_megabytes_of_garbage_in_the_admin_is_reported_not_a_500(
    admin_client, content
):
    page = admin_upload(admin_client, REGISTER_URL, "registre.csv", content)
    assert "errorlist" in page
    assert not TitleRecord.objects.exists()


def test_french_excel_files_are_read_semicolons_and_windows_1252(admin_client):
    """French Excel's "CSV" uses semicolons and Windows-1252; the agent is told how
    the file was read."""
    body = GOOD.replace(",", ";") + "4500000009;2028-01-31;45000;carte_séjour;\n"
    data = (HEADER.replace(",", ";") + body).encode("cp1252")
    html = admin_upload(admin_client, REGISTER_URL, "registre.csv", data)
    assert figure(html, "Titres nouveaux") == 3  # "carte_séjour" read as carte_sejour
    assert TitleRecord.objects.get(numero_etranger="4500000009").title_type == (
        "carte_sejour"
    )
    assert "Fichier lu en Windows-1252, colonnes séparées par « ; »." in html
    assert TitleRecord.objects.get(numero_etranger="4512345678").postal_code == "45100"
    report = titles_import(
        data=(HEADER.replace(",", ";") + GOOD.replace(",", ";")).encode()
    )
    # UTF-8 with semicolons too: the same two rows, found again, nothing refused.
    assert (report.imported, report.rejected) == (0, [])
