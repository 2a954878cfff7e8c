"""Reading an Excel workbook (.xlsx) agents upload instead of a CSV: its first sheet,
one list of cell texts per row, each cell written as the CSV would have it.

Excel stores what an agent typed as numbers and dates, not text: a numéro étranger
or a phone number becomes a number (the phone's leading 0 is gone, which
``normalize_mobile`` reads back), a date becomes a date. Each is written back as the
CSV reader expects it (``12345678`` not ``12345678.0``, ``2027-03-31``).
"""

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from xml.parsers.expat import ExpatError

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

XLSX_SIGNATURE = b"PK\x03\x04"  # a zip archive, as every .xlsx is
# Cells read per row: the widest of our headers has five columns; a sheet with
# thousands of stray columns to its right costs nothing.
MAX_COLUMNS = 32


class ExcelNumber(str):
    """A cell Excel stored as a number, written as text: any leading 0 is gone
    (0112345678 reads 112345678; the postal code 01000 reads 1000)."""


class WorkbookError(ValueError):
    """The bytes are a zip archive but not a workbook openpyxl can read."""


def is_xlsx(data: bytes) -> bool:
    return data.startswith(XLSX_SIGNATURE)


def cell_text(value: object) -> str:
    """One cell as the CSV would have it."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: a bool is an int
        return "1" if value else "0"
    if isinstance(value, datetime):
        # A date typed in Excel is a datetime at midnight.
        return value.date().isoformat() if value.time() == time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return ExcelNumber(int(value))
    return str(value)


def xlsx_rows(data: bytes) -> Iterator[list[str]]:
    """The first sheet's rows as cell texts, the header first; raises
    WorkbookError when the file is not a readable workbook."""
    try:
        # read_only streams the sheet's XML instead of building every cell at once.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        ExpatError,
    ):
        raise WorkbookError(
            _(
                "Classeur illisible : enregistrez-le à nouveau dans Excel au format "
                "« Classeur Excel (.xlsx) » ou « CSV UTF-8 »."
            )
        ) from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [cell_text(value) for value in row]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ExpatError):
        raise WorkbookError(
            _("Classeur illisible : enregistrez-le à nouveau au format .xlsx.")
        ) from None
    finally:
        workbook.close()
