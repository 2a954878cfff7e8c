from django.utils import timezone

from booking.management.commands._import_base import ImportCommand, ImportReport
from booking.services.cards import cards_ready_from_csv


class Command(ImportCommand):
    help = (
        "Marks a batch of cards ready from a CSV (numero_etranger,nom,prenom,telephone,"
        "site): creates unknown cards, sends each one's SMS once."
    )

    def run_import(self, data: bytes) -> ImportReport:
        return cards_ready_from_csv(
            data=data, by="cards_ready (commande)", now=timezone.now()
        )
