from django.core.management.base import BaseCommand
from django.utils import timezone

from booking.services.slots import slots_generate


class Command(BaseCommand):
    help = (
        "Opens slots from the opening schedules up to each démarche's booking horizon, "
        "skipping French public holidays and closures; idempotent."
    )

    def handle(self, *args, **options):
        report = slots_generate(now=timezone.now())
        self.stdout.write(
            f"created {report.created} slots ({report.skipped_closed} skipped: closures)"
        )
