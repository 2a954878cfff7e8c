"""The shape both CSV import commands share (CONTRACT: `import_titles FILE.csv`,
`cards_ready FILE.csv`): read the file, run the import, print its summary and then
each rejected line. A file that cannot be read, or is not the expected CSV, stops the
command with an error (exit code 1) and nothing imported; rejected rows do not."""

from pathlib import Path
from typing import Protocol

from django.core.management.base import BaseCommand, CommandError

from booking.services.csv_rows import CsvFileError


class ImportReport(Protocol):
    rejected: list[tuple[int, str]]

    def summary(self) -> str: ...


class ImportCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def run_import(self, data: bytes) -> ImportReport:
        raise NotImplementedError

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        try:
            report = self.run_import(data)
        except CsvFileError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.summary())
        for line, reason in report.rejected:
            self.stdout.write(f"line {line}: {reason}")
