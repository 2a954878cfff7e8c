from django.core.management.base import BaseCommand
from django.utils import timezone

from booking.services.retention import personal_data_purge


class Command(BaseCommand):
    help = "Applies the GDPR retention periods now (also run daily by Celery beat)."

    def handle(self, *args, **options):
        report = personal_data_purge(now=timezone.now())
        for name, count in report.as_dict().items():
            self.stdout.write(f"{name}: {count}")
