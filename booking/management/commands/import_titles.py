from booking.management.commands._import_base import ImportCommand, ImportReport
from booking.services.register import titles_import


class Command(ImportCommand):
    help = (
        "Imports the register of titles from a CSV file (UTF-8, comma, header "
        "numero_etranger,date_validite,code_postal,type_titre,telephone)."
    )

    def run_import(self, data: bytes) -> ImportReport:
        return titles_import(data=data)
