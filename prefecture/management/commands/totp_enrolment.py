from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from prefecture.two_factor import EnrolmentRefused, totp_enrolment_issue


class Command(BaseCommand):
    help = (
        "Issues a single-use TOTP enrolment link for an agent without an "
        "authenticator app yet (a new account, or a lost phone once its device is "
        "deleted); the previous link stops working. Prints the link and its code."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"{username}: no such account.")
        try:
            code, grant = totp_enrolment_issue(user=user, by=None, now=timezone.now())
        except EnrolmentRefused as refused:
            raise CommandError(refused.message) from refused
        link = settings.PUBLIC_BASE_URL + reverse("admin:totp_enrolment", args=[code])
        expires = timezone.localtime(grant.expires_at)
        self.stdout.write(link)
        self.stdout.write(
            f"Code: {code} (single use, after {username}'s password; "
            f"expires {expires:%d/%m/%Y %H:%M})"
        )
