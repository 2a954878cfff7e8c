"""Files as agents really have them (found by the agents' walk): a title row above
the header, headers written as people write them, coded values in capitals or as
their labels, and numbers Excel stripped of their leading 0."""

import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from booking.models import TitleRecord
from booking.services.cards import cards_ready_from_csv
from booking.services.csv_rows import CsvFileError, column_name
from booking.services.register import titles_import
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def workbook(*rows, merge: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "written, name",
    [
        ("Numéro étranger", "numero_etranger"),
        ("NUMERO_ETRANGER", "numero_etranger"),
        (" numéro d’étranger ", "numero_etranger"),
        ("Date de validité", "date_validite"),
        ("Date_Validite", "date_validite"),
        ("Code postal", "code_postal"),
        ("Type de titre", "type_titre"),
        ("Téléphone", "telephone"),
        ("Prénom", "prenom"),
    ],
)
def test_a_header_is_read_as_people_write_it(written, name):
    assert column_name(written) == name


def test_a_workbook_with_a_merged_title_row_above_its_header():
    data = workbook(
        ["Registre des titres – Préfecture du Loiret", None, None, None],
        [None, None, None, None],
        ["Numéro étranger", "Date de validité", "Code postal", "Type de titre"],
        ["4512345678", "30/06/2027", "45100", "CARTE_SEJOUR"],
        ["4598765432", "15/09/2027", "45140", "Carte de résident"],
        ["4500000009", "15/09/2027", "45140", "VLS-TS"],
        ["4500000010", "15/09/2027", "45140", "Autorisation provisoire de séjour"],
        merge="A1:D1",
    )
    report = titles_import(data=data)
    assert (report.imported, report.rejected) == (4, [])
    assert dict(TitleRecord.objects.values_list("numero_etranger", "title_type")) == {
        "4512345678": "carte_sejour",
        "4598765432": "carte_resident",
        "4500000009": "vls_ts",
        "4500000010": "aps",
    }


def test_a_french_csv_with_a_title_line_finds_its_semicolons_and_its_header():
    data = (
        "Livraison ANTS du 30/11\r\n"
        "numero_etranger;nom;prenom;telephone;site\r\n"
        "4512345678;Nguyen;Linh;06 12 34 56 78;\r\n"
    ).encode("cp1252")
    SiteFactory()
    report = cards_ready_from_csv(data=data, by="agent", now=timezone.now())
    assert (report.ready, report.rejected) == (1, [])


def test_no_header_in_the_first_lines_says_where_it_is_looked_for():
    data = workbook(*[["x"]] * 12, ["numero_etranger", "date_validite"])
    with pytest.raises(CsvFileError) as refused:
        titles_import(data=data)
    assert "Colonnes manquantes" in str(refused.value)
    assert "dans les 10 premières lignes" in str(refused.value)


def test_a_numero_excel_stripped_of_its_leading_0_is_refused_not_changed():
    """0112345678 typed in a number cell reads 112345678; the 9-digit rule would
    have stored 1102345678, another person's numéro."""
    data = workbook(
        ["numero_etranger", "date_validite", "code_postal", "type_titre"],
        [112345678, "30/06/2027", 1000, "carte_sejour"],
        [4512345678, "30/06/2027", 45100, "carte_sejour"],
        ["208006503", "30/06/2027", 45100, "carte_resident"],  # typed as text
    )
    report = titles_import(data=data)
    assert report.imported == 2
    [(line, reason)] = report.rejected
    assert line == 2 and "Excel l’a enregistré comme un nombre" in reason
    assert not TitleRecord.objects.filter(numero_etranger="1102345678").exists()
    assert TitleRecord.objects.filter(numero_etranger="2008006503").exists()
