from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from booking.demo import DEMO_TITLES, WAITING_LIST_DEMO, booking_seed_demo
from booking.models import Procedure
from faq.services import faq_seed
from prefecture.two_factor import (
    totp_device_confirmed,
    totp_device_for_enrolment,
    totp_now,
    totp_secret,
)

DEMO_AGENT_USERNAME = "agent.demo"
DEMO_AGENT_PASSWORD = "demo-loiret-2026"


class Command(BaseCommand):
    help = (
        "Loads the demo data (the préfecture's FAQ, ...); idempotent. "
        "With DEBUG on, also creates the demo agent login."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        report = faq_seed(now=now)
        self.stdout.write(
            f"FAQ: {report.categories} categories, {report.questions} questions, "
            f"{report.announcements} announcements created (existing ones kept)."
        )
        demo = booking_seed_demo(now=now)
        self.stdout.write(
            f"Booking: {demo.sites} sites, {demo.procedures} démarches, "
            f"{demo.slots} slots, {demo.titles} register entries, {demo.cards} cards "
            "in production created."
        )
        self.stdout.write("Demo register entries (numéro étranger / validité / CP):")
        for title in DEMO_TITLES:
            self.stdout.write(
                f"  {title.typed:>10}  {title.valid_until:%d/%m/%Y}  "
                f"{title.postal_code}  ({title.title_type})"
            )
        listed = Procedure.objects.get(slug=WAITING_LIST_DEMO)
        self.stdout.write(
            f"Waiting list: the démarche {listed.slug!r} gives every place through "
            f"the waiting list (mode {listed.waiting_mode}).\n"
            "  Try it: http://127.0.0.1:8000/rendez-vous/, choose "
            f'"{listed.name_fr}", give a register entry above (one without an '
            'appointment), then the "liste d\'attente" button.\n'
            "  The offer SMS (kind waiting_offer, with its link to accept) is printed "
            'here and listed in the admin under "SMS et courriels envoyés"; the '
            "list itself: http://127.0.0.1:8000/admin/booking/waitingrequest/\n"
            f"  Change the mode: python manage.py demarche_mode {listed.slug} "
            "direct|liste|mixte [--part N], or on the démarche's admin page."
        )
        if settings.DEBUG:
            self._ensure_demo_agent()

    def _ensure_demo_agent(self) -> None:
        # A known password is acceptable only on a developer's laptop (DEBUG).
        User = get_user_model()
        agent, created = User.objects.get_or_create(
            username=DEMO_AGENT_USERNAME,
            defaults={"is_staff": True, "is_superuser": True},
        )
        if created:
            agent.set_password(DEMO_AGENT_PASSWORD)
            agent.save(update_fields=["password"])
        # The admin asks every agent for a TOTP code: the demo agent's secret is printed
        # (add it to an authenticator app) with the command that shows the current code.
        device = totp_device_confirmed(agent)
        if device is None:
            device = totp_device_for_enrolment(agent)
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo agent login (DEBUG only): http://127.0.0.1:8000/admin/ "
                f"user {DEMO_AGENT_USERNAME!r} password {DEMO_AGENT_PASSWORD!r}\n"
                f"  TOTP secret (authenticator app): {totp_secret(device)}\n"
                f"  current code: python manage.py totp_code {DEMO_AGENT_USERNAME} "
                f"(now {totp_now(device)})"
            )
        )
