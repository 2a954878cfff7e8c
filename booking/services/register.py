"""Import of the register of titles (CONTRACT: CSV, UTF-8, comma, header row).

Good rows are kept, each bad row is reported with its line number and reason, and
importing the same file again changes nothing. A file whose structure is broken (not
UTF-8, missing columns) is refused whole."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from booking import rules
from booking.models import TitleRecord
from booking.phone import InvalidPhone, normalize_mobile
from booking.services.csv_rows import CsvFileError, csv_rows

COLUMNS = ["numero_etranger", "date_validite", "code_postal", "type_titre", "telephone"]
REQUIRED = COLUMNS[:4]
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
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


def _parse_date(raw: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def _parse_row(row: dict[str, str]) -> TitleRecord:
    """One CSV row as an unsaved TitleRecord; raises ValueError with the reason."""
    try:
        numero = rules.normalize_numero_etranger(row["numero_etranger"] or "")
    except rules.InvalidNumero:
        raise ValueError(
            _("numero_etranger : 10 chiffres attendus (9 pour une carte d’avant 2017)")
        ) from None
    try:
        valid_until = _parse_date(row["date_validite"] or "")
    except ValueError:
        raise ValueError(
            _(
                "date_validite : date inexistante ou format autre que AAAA-MM-JJ ou JJ/MM/AAAA"
            )
        ) from None
    postal_code = rules.normalize_postal_code(row["code_postal"] or "")
    if postal_code is None:
        raise ValueError(_("code_postal : 5 chiffres attendus"))
    title_type = (row["type_titre"] or "").strip()
    if title_type not in TitleRecord.TitleType.values:
        raise ValueError(
            _("type_titre : valeurs possibles %(values)s")
            % {"values": ", ".join(TitleRecord.TitleType.values)}
        )
    phone = (row.get("telephone") or "").strip()
    if phone:
        try:
            phone = normalize_mobile(phone)
        except InvalidPhone:
            raise ValueError(_("telephone : numéro de portable invalide")) from None
    return TitleRecord(
        numero_etranger=numero,
        valid_until=valid_until,
        postal_code=postal_code,
        title_type=title_type,
        mobile=phone,
    )


def read_rows(
    data: bytes,
) -> tuple[list[tuple[int, TitleRecord]], list[tuple[int, str]]]:
    """Parses the file: (line, record) for good rows, (line, reason) for bad ones."""
    good: list[tuple[int, TitleRecord]] = []
    bad: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for line, row in csv_rows(data, required=REQUIRED, columns=COLUMNS):
        if None in row:  # more cells than columns
            bad.append((line, _("trop de colonnes")))
            continue
        try:
            record = _parse_row(row)
        except ValueError as invalid:
            bad.append((line, str(invalid)))
            continue
        if record.numero_etranger in seen:
            duplicate = _("numero_etranger en double (déjà ligne %(line)d)") % {
                "line": seen[record.numero_etranger]
            }
            bad.append((line, duplicate))
            continue
        seen[record.numero_etranger] = line
        good.append((line, record))
    return good, bad


FIELDS = ["valid_until", "postal_code", "title_type", "mobile"]


def titles_import(*, data: bytes) -> ImportReport:
    """Imports the register's CSV in bulk; raises RegisterFileError for a broken file
    (nothing imported then)."""
    good, bad = read_rows(data)
    report = ImportReport(rejected=bad)
    with transaction.atomic():
        for start in range(0, len(good), BATCH):
            batch = [record for _line, record in good[start : start + BATCH]]
            existing = TitleRecord.objects.in_bulk(
                [r.numero_etranger for r in batch], field_name="numero_etranger"
            )
            new, changed = [], []
            for record in batch:
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
            TitleRecord.objects.bulk_create(new)
            TitleRecord.objects.bulk_update(changed, [*FIELDS, "updated_at"])
            report.imported += len(new)
            report.updated += len(changed)
    return report
