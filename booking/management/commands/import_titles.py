from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from booking.services.register import RegisterFileError, titles_import


class Command(BaseCommand):
    help = (
        "Imports the register of titles from a CSV file (UTF-8, comma, header "
        "numero_etranger,date_validite,code_postal,type_titre,telephone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        try:
            report = titles_import(data=data)
        except RegisterFileError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.summary())
        for line, reason in report.rejected:
            self.stdout.write(f"line {line}: {reason}")
