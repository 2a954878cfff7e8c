from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from booking.services.cards import cards_ready_from_csv
from booking.services.csv_rows import CsvFileError


class Command(BaseCommand):
    help = (
        "Marks a batch of cards ready from a CSV (numero_etranger,nom,prenom,telephone,"
        "site): creates unknown cards, sends each one's SMS once."
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
            report = cards_ready_from_csv(
                data=data, by="cards_ready (commande)", now=timezone.now()
            )
        except CsvFileError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(report.summary())
        for line, reason in report.rejected:
            self.stdout.write(f"line {line}: {reason}")
