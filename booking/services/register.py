"""Import of the register of titles (CONTRACT: CSV, UTF-8, comma, header row; also
semicolons, Windows-1252 and .xlsx, as agents save it).

Good rows are kept, each bad row is reported with its line number and reason, and
importing the same file again changes nothing. A file whose structure is broken (not
UTF-8, missing columns) is refused whole."""

import functools
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from booking.models import TitleRecord
from booking.services.csv_rows import (
    BadCell,
    Cells,
    CsvFileError,
    column_name,
    parse_csv,
)

COLUMNS = ["numero_etranger", "date_validite", "code_postal", "type_titre", "telephone"]
REQUIRED = COLUMNS[:4]
BATCH = 5000


RegisterFileError = CsvFileError  # the name this module's callers know


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"imported {self.imported}, updated {self.updated}, "
            f"rejected {len(self.rejected)}"
        )


@functools.cache
def _title_types() -> dict[str, str]:
    """Each title type by its code or its French label, as ``column_name`` reads
    them: "carte_sejour", "CARTE_SEJOUR", "Carte de séjour", "VLS-TS", "Récépissé",
    "Autorisation provisoire de séjour"."""
    with translation.override("fr"):
        return {
            column_name(name): value
            for value, label in TitleRecord.TitleType.choices
            for name in (value, str(label))
        }


def _parse_row(cells: Cells) -> TitleRecord:
    """One CSV row as an unsaved TitleRecord; raises BadCell with the reason."""
    numero = cells.numero_etranger()
    valid_until = cells.date("date_validite")
    postal_code = cells.postal_code("code_postal")
    title_type = _title_types().get(column_name(cells.text("type_titre")))
    if title_type is None:
        raise BadCell(
            _("type_titre : valeurs possibles %(values)s")
            % {"values": ", ".join(TitleRecord.TitleType.values)}
        )
    return TitleRecord(
        numero_etranger=numero,
        valid_until=valid_until,
        postal_code=postal_code,
        title_type=title_type,
        mobile=cells.mobile(optional=True),
    )


def read_rows(
    data: bytes,
) -> tuple[list[tuple[int, TitleRecord]], list[tuple[int, str]]]:
    """Parses the file: (line, record) for good rows, (line, reason) for bad ones."""
    return parse_csv(
        data,
        required=REQUIRED,
        columns=COLUMNS,
        parse=_parse_row,
        key=lambda record: record.numero_etranger,
        key_column="numero_etranger",
    )


FIELDS = ["valid_until", "postal_code", "title_type", "mobile"]


def titles_batch(
    records: list[TitleRecord], report: ImportReport, *, write: bool
) -> None:
    """Counts in ``report`` what importing these records does (new, changed,
    unchanged), and does it when ``write`` (the preview reads only)."""
    existing = TitleRecord.objects.in_bulk(
        [r.numero_etranger for r in records], field_name="numero_etranger"
    )
    new, changed = [], []
    for record in records:
        current = existing.get(record.numero_etranger)
        if current is None:
            new.append(record)
        elif any(getattr(current, f) != getattr(record, f) for f in FIELDS):
            for name in FIELDS:
                setattr(current, name, getattr(record, name))
            current.updated_at = timezone.now()
            changed.append(current)
        else:
            report.unchanged += 1
    if write:
        TitleRecord.objects.bulk_create(new)
        TitleRecord.objects.bulk_update(changed, [*FIELDS, "updated_at"])
    report.imported += len(new)
    report.updated += len(changed)


def titles_import(*, data: bytes) -> ImportReport:
    """Imports the register's file (CSV or .xlsx) in bulk, in one transaction;
    raises RegisterFileError for a broken file (nothing imported then). Large files
    uploaded in the admin go through services.imports instead, batch by batch."""
    good, bad = read_rows(data)
    report = ImportReport(rejected=bad)
    with transaction.atomic():
        for start in range(0, len(good), BATCH):
            batch = [record for _line, record in good[start : start + BATCH]]
            titles_batch(batch, report, write=True)
    return report
