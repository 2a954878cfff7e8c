"""Reading the files agents upload (CSV with a header row, or an Excel workbook), and
their cells; writing a cell of the CSV files agents download.

Both imports (the register of titles, the delivery list from production) read their
cells here, so a cell means the same thing and is refused with the same words in both.
"""

import csv
import io
import unicodedata
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from booking import rules
from booking.phone import InvalidPhone, NotAMobile, normalize_mobile
from booking.services.xlsx_rows import WorkbookError, is_xlsx, xlsx_rows

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV
# injection"): =HYPERLINK(...), +cmd|..., @SUM(...), and a tab or CR before one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Lines read at most: a 10 MB list has about 210,000; a workbook compressed from
# millions of rows (a zip bomb) is refused before it fills the worker's memory.
MAX_LINES = 500_000


class CsvFileError(ValueError):
    """The file cannot be read as the expected CSV at all."""


class BadCell(ValueError):
    """A row is refused; the message names the column and the reason."""


class Cells:
    """One data row's cells, each read stripped, with control characters (NUL
    included) refused; every reader raises BadCell with the reason."""

    def __init__(self, row: dict[str | None, Any]) -> None:
        self._row = row

    def text(self, column: str, *, max_length: int | None = None) -> str:
        """The cell's text without surrounding spaces ('' when empty or absent)."""
        value = (self._row.get(column) or "").strip()
        if any(unicodedata.category(char) == "Cc" for char in value):
            raise BadCell(
                _("%(column)s : caractère de contrôle refusé") % {"column": column}
            )
        return value[:max_length] if max_length is not None else value

    def date(self, column: str) -> date:
        """A date written YYYY-MM-DD or DD/MM/YYYY."""
        value = self.text(column)
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        raise BadCell(
            _(
                "%(column)s : date inexistante ou format autre que AAAA-MM-JJ "
                "ou JJ/MM/AAAA"
            )
            % {"column": column}
        )

    def numero_etranger(self, column: str = "numero_etranger") -> str:
        """The numéro étranger, normalised to 10 digits."""
        try:
            return rules.normalize_numero_etranger(self.text(column))
        except rules.InvalidNumero:
            raise BadCell(
                _("%(column)s : 10 chiffres attendus (9 pour une carte d’avant 2017)")
                % {"column": column}
            ) from None

    def name(self, column: str) -> str:
        """A nom or prénom as the title writes it (``rules.normalize_name``); ''
        when the cell is empty."""
        value = self.text(column)
        if not value:
            return ""
        try:
            return rules.normalize_name(value)
        except rules.InvalidName:
            raise BadCell(
                _(
                    "%(column)s : lettres latines, espaces, traits d’union et "
                    "apostrophes seulement (%(max)d caractères au plus)"
                )
                % {"column": column, "max": rules.NAME_MAX_LENGTH}
            ) from None

    def mobile(self, column: str = "telephone", *, optional: bool = False) -> str:
        """A mobile number as E.164 ('' for an empty optional cell)."""
        value = self.text(column)
        if not value and optional:
            return ""
        try:
            return normalize_mobile(value)
        except NotAMobile:
            raise BadCell(
                _("%(column)s : numéro fixe, un SMS ne peut pas y être reçu")
                % {"column": column}
            ) from None
        except InvalidPhone:
            raise BadCell(
                _("%(column)s : numéro de portable invalide") % {"column": column}
            ) from None


def safe_cell(value: object) -> str:
    """The value as a cell of an exported CSV: text a spreadsheet could run as a
    formula gets a leading apostrophe, so it shows as typed and runs nothing."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class FileFormat:
    """How a file agents upload was written: French Excel saves "CSV" with
    semicolons and in Windows-1252, its "CSV UTF-8" with semicolons too; or the
    workbook itself (.xlsx)."""

    encoding: str = ""  # "UTF-8" or "Windows-1252"; "" for a workbook
    delimiter: str = ""  # "," or ";"; "" for a workbook

    def words(self) -> str:
        if not self.encoding:
            return _("Classeur Excel (.xlsx) lu : sa première feuille.")
        return _(
            "Fichier lu en %(encoding)s, colonnes séparées par « %(delimiter)s »."
        ) % {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
        }


XLSX = FileFormat()


# The compound file every Excel 97–2003 workbook (.xls) is: not a CSV, not an .xlsx.
OLD_EXCEL_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def csv_decode(data: bytes) -> tuple[str, FileFormat]:
    """The file's text and format: UTF-8 (with or without its mark), else
    Windows-1252; the separator is the one its header line uses most (comma or
    semicolon). Raises CsvFileError when it is neither encoding, or an old Excel
    workbook (which Windows-1252 would read as garbage, missing every column)."""
    if data.startswith(OLD_EXCEL_SIGNATURE):
        raise CsvFileError(
            _(
                "Ce fichier est un classeur Excel ancien format (.xls), qui n’est "
                "pas lu ici : ouvrez-le dans Excel, puis « Enregistrer sous » en "
                "« Classeur Excel (.xlsx) » ou en « CSV UTF-8 », et envoyez ce "
                "fichier-là."
            )
        )
    try:
        text, encoding = data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            raise CsvFileError(
                _(
                    "Le fichier n’est ni en UTF-8 ni en Windows-1252 : enregistrez-le "
                    "en « CSV UTF-8 »."
                )
            ) from None
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return text, FileFormat(encoding, delimiter)


def file_format(data: bytes) -> FileFormat:
    """The format the file is read in (see csv_decode, is_xlsx)."""
    return XLSX if is_xlsx(data) else csv_decode(data)[1]


def _table(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every line of the file, its header first: the
    CSV's lines, or the workbook's first sheet (its row numbers)."""
    if is_xlsx(data):
        try:
            yield from enumerate(xlsx_rows(data), start=1)
        except WorkbookError as error:
            raise CsvFileError(str(error)) from None
        return
    text, csv_format = csv_decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_format.delimiter)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as error:
        raise CsvFileError(
            _("CSV illisible ligne %(line)d : %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from None


def csv_rows(
    data: bytes, *, required: list[str], columns: list[str]
) -> Iterator[tuple[int, dict]]:
    """(line number, row) for each data row of a CSV (UTF-8 or Windows-1252, comma
    or semicolon, see csv_decode) or a workbook (.xlsx, its first sheet); raises
    CsvFileError when it lacks a required column or cannot be read. Blank lines
    are skipped; a row with more cells than columns comes with the key None."""
    lines = _table(data)
    first = next(lines, None)
    header = [name.strip() for name in first[1]] if first else []
    while header and not header[-1]:  # a workbook's empty columns to the right
        header.pop()
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvFileError(
            _("Colonnes manquantes : %(missing)s. En-tête attendu : %(header)s")
            % {"missing": ", ".join(missing), "header": ",".join(columns)}
        )
    for line, cells in lines:
        if line > MAX_LINES:
            raise CsvFileError(
                _("Fichier trop long : %(max)d lignes au plus.") % {"max": MAX_LINES}
            )
        if not any(cell.strip() for cell in cells):
            continue
        row: dict[str | None, Any] = dict(zip(header, cells, strict=False))
        extra = cells[len(header) :]
        if any(cell.strip() for cell in extra):
            row[None] = extra
        yield line, row


def parse_csv[T](
    data: bytes,
    *,
    required: list[str],
    columns: list[str],
    parse: Callable[[Cells], T],
    key: Callable[[T], Hashable],
    key_column: str,
) -> tuple[list[tuple[int, T]], list[tuple[int, str]]]:
    """Parses each row with ``parse``: (line, value) for the good rows, (line, reason)
    for the bad ones (too many cells, a BadCell, a key already seen on an earlier
    line). Raises CsvFileError for a broken file."""
    good: list[tuple[int, T]] = []
    bad: list[tuple[int, str]] = []
    seen: dict[Hashable, int] = {}
    for line, row in csv_rows(data, required=required, columns=columns):
        if None in row:  # more cells than columns
            bad.append((line, _("trop de colonnes")))
            continue
        try:
            value = parse(Cells(row))
        except BadCell as invalid:
            bad.append((line, str(invalid)))
            continue
        if key(value) in seen:
            duplicate = _("%(column)s en double (déjà ligne %(line)d)") % {
                "column": key_column,
                "line": seen[key(value)],
            }
            bad.append((line, duplicate))
            continue
        seen[key(value)] = line
        good.append((line, value))
    return good, bad
