"""CONTRACT: `demarche_mode SLUG direct|liste|mixte [--part N]`, the same setting as
the démarche's change form in the admin (services.procedure_waiting_mode_set)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from booking import services
from booking.models import Procedure, Slot, WaitingMode


class Command(BaseCommand):
    help = (
        "Sets how a démarche's places are given: direct (self-service, the waiting "
        "list when nothing is free), liste (every place offered through the waiting "
        "list), mixte --part N (N % of each new batch kept for the list). Applies "
        "to its future slots at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the démarche's identifier (slug)")
        parser.add_argument(
            "mode", choices=[mode.value for mode in WaitingMode], help="the mode"
        )
        parser.add_argument(
            "--part",
            type=int,
            help="with mixte only: the %% of each new batch kept for the list (1-100)",
        )

    def handle(self, *args, **options):
        slug, mode, part = options["slug"], options["mode"], options["part"]
        if mode == WaitingMode.MIXED and part is None:
            raise CommandError("mixte needs --part N (1 to 100)")
        if mode == WaitingMode.MIXED and not 1 <= part <= 100:
            raise CommandError(f"--part must be between 1 and 100, not {part}")
        if mode != WaitingMode.MIXED and part is not None:
            # Refused rather than ignored: "liste --part 30" is most likely a typo
            # for "mixte --part 30".
            raise CommandError(f"--part goes with mixte only, not with {mode}")
        procedure = Procedure.objects.filter(slug=slug).first()
        if procedure is None:
            known = ", ".join(
                Procedure.objects.filter(
                    channel=Procedure.ChannelChoice.COUNTER,
                    booking_procedure__isnull=True,
                ).values_list("slug", flat=True)
            )
            raise CommandError(f"no démarche {slug!r} (démarches with slots: {known})")
        if procedure.channel != Procedure.ChannelChoice.COUNTER:
            raise CommandError(f"{slug} has no appointments: no places to give")
        owner = procedure.booking_procedure
        if owner is not None:
            raise CommandError(
                f"{slug} books the slots of {owner.slug}: "
                f"set the mode of {owner.slug} instead"
            )
        now = timezone.now()
        services.procedure_waiting_mode_set(
            procedure_id=procedure.pk, mode=mode, share=part or 0, now=now
        )
        future = Slot.objects.filter(procedure=procedure, starts_at__gt=now)
        kept, total = future.filter(via_list=True).count(), future.count()
        if mode == WaitingMode.MIXED:
            setting = f"mixte, {part} % of each new batch for the waiting list"
        elif mode == WaitingMode.LIST:
            setting = "liste, every place offered through the waiting list"
        else:
            setting = "direct, self-service (the waiting list when nothing is free)"
        self.stdout.write(
            f"{slug}: {setting}; {kept} of {total} future slots kept for the list"
        )
