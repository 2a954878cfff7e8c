"""Reading the CSV files agents upload (UTF-8, comma, header row)."""

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _


class CsvFileError(ValueError):
    """The file cannot be read as the expected CSV at all."""


def csv_rows(
    data: bytes, *, required: list[str], columns: list[str]
) -> Iterator[tuple[int, dict]]:
    """(line number, row) for each data row; raises CsvFileError when the file is not
    UTF-8, lacks a required column or is not CSV. A row with more cells than columns
    comes with the key None."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvFileError(
            _("Le fichier n’est pas encodé en UTF-8 : enregistrez-le en « CSV UTF-8 ».")
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvFileError(
            _("Colonnes manquantes : %(missing)s. En-tête attendu : %(header)s")
            % {"missing": ", ".join(missing), "header": ",".join(columns)}
        )
    reader.fieldnames = header
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as error:
        raise CsvFileError(
            _("CSV illisible ligne %(line)d : %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from None
