"""Reading the files agents upload (CSV with a header row, or an Excel workbook), and
their cells; writing a cell of the CSV files agents download.

Both imports (the register of titles, the delivery list from production) read their
cells here, so a cell means the same thing and is refused with the same words in both.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from booking import rules
from booking.phone import InvalidPhone, NotAMobile, normalize_mobile
from booking.services.xlsx_rows import ExcelNumber, WorkbookError, is_xlsx, xlsx_rows
from prefecture.text_fold import fold

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV
# injection"): =HYPERLINK(...), +cmd|..., @SUM(...), and a tab or CR before one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Lines read at most: a 10 MB list has about 210,000; a workbook compressed from
# millions of rows (a zip bomb) is refused before it fills the worker's memory.
MAX_LINES = 500_000


# Lines searched for the header: agents' sheets often have a title row or two
# above it ("Registre des titres – Préfecture du Loiret").
HEADER_LINES = 10
# The little words a header may hold: "Date de validité" is date_validite.
_CONNECTORS = {"d", "de", "des", "du", "l", "la", "le", "les"}


def column_name(text: str) -> str:
    """A header cell (or a coded value) as our names write it: "Numéro étranger",
    "NUMERO_ETRANGER" and "numero-etranger" are numero_etranger, "Date de validité"
    is date_validite, "Carte de séjour" is carte_sejour."""
    words = re.split(r"[^a-z0-9]+", fold(text.strip()).lower())
    return "_".join(word for word in words if word and word not in _CONNECTORS)


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
        """The numéro étranger, normalised to 10 digits. One Excel stored as a
        number with fewer than 10 digits is refused: its leading 0 may be gone
        (0112345678 reads 112345678, which the 9-digit rule would make another
        person's 1102345678)."""
        raw = self._row.get(column)
        if isinstance(raw, ExcelNumber) and len(raw.strip()) < 10:
            raise BadCell(
                _(
                    "%(column)s : Excel l’a enregistré comme un nombre, dont le 0 du "
                    "début a pu disparaître ; mettez la colonne au format Texte et "
                    "saisissez le numéro tel qu’il est inscrit sur le titre"
                )
                % {"column": column}
            )
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

    def postal_code(self, column: str) -> str:
        """A French postal code; one Excel stored as a number gets back the 0 it
        lost (01000 reads 1000: a postal code always has five digits)."""
        value = self.text(column)
        if isinstance(self._row.get(column), ExcelNumber):
            value = value.zfill(5)
        postal_code = rules.normalize_postal_code(value)
        if postal_code is None:
            raise BadCell(_("%(column)s : 5 chiffres attendus") % {"column": column})
        return postal_code

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
    # The header's lines (a title line above it may have no separator at all).
    top = "\n".join(text.split("\n", HEADER_LINES)[:HEADER_LINES])
    delimiter = ";" if top.count(";") > top.count(",") else ","
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


def _header(
    lines: Iterator[tuple[int, list[str]]], *, required: list[str], columns: list[str]
) -> list[str]:
    """The column names of the first of the first HEADER_LINES lines that names
    every required column (its names read by ``column_name``); ``lines`` is left
    at the line after it. Raises CsvFileError naming what the first non-empty line
    lacks when none does."""
    first: list[str] | None = None
    for line, cells in lines:
        names = [column_name(cell) for cell in cells]
        while names and not names[-1]:  # a workbook's empty columns to the right
            names.pop()
        if all(name in names for name in required):
            return names
        if first is None and names:
            first = names
        if line >= HEADER_LINES:
            break
    missing = [name for name in required if name not in (first or [])]
    raise CsvFileError(
        _(
            "Colonnes manquantes : %(missing)s. En-tête attendu (dans les %(lines)d "
            "premières lignes, sur la première feuille d’un classeur) : %(header)s"
        )
        % {
            "missing": ", ".join(missing),
            "lines": HEADER_LINES,
            "header": ",".join(columns),
        }
    )


def csv_rows(
    data: bytes, *, required: list[str], columns: list[str]
) -> Iterator[tuple[int, dict]]:
    """(line number, row) for each data row of a CSV (UTF-8 or Windows-1252, comma
    or semicolon, see csv_decode) or a workbook (.xlsx, its first sheet); raises
    CsvFileError when it lacks a required column or cannot be read. Blank lines
    are skipped; a row with more cells than columns comes with the key None."""
    lines = _table(data)
    header = _header(lines, required=required, columns=columns)
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
