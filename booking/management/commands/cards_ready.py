from django.utils import timezone

from booking.management.commands._import_base import ImportCommand, ImportReport
from booking.services.cards import BatchReport, cards_ready_from_csv


class Command(ImportCommand):
    help = (
        "Marks a batch of cards ready from a CSV (numero_etranger,nom,prenom,telephone,"
        "site): creates unknown cards, sends each one's SMS once. After the summary and "
        "the rejected lines, prints each line's notice (phone updated, title already "
        "handed over)."
    )

    report: BatchReport | None = None

    def run_import(self, data: bytes) -> ImportReport:
        self.report = cards_ready_from_csv(
            data=data, by="cards_ready (commande)", now=timezone.now()
        )
        return self.report

    def handle(self, *args, **options):
        super().handle(*args, **options)
        for line, notice in self.report.notices if self.report else []:
            self.stdout.write(f"line {line}: {notice}")
