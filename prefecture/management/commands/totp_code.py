from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from prefecture.two_factor import totp_device_confirmed, totp_now


class Command(BaseCommand):
    help = "DEBUG only: prints an agent's current TOTP code (the laptop demo)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        if not settings.DEBUG:
            raise CommandError("totp_code works only with DEBUG on (a laptop demo).")
        user = get_user_model().objects.filter(username=username).first()
        device = totp_device_confirmed(user) if user else None
        if device is None:
            raise CommandError(f"{username}: no confirmed TOTP device.")
        self.stdout.write(totp_now(device))
