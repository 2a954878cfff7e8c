"""What `manage.py check --deploy` adds to Django's own: the laptop's defaults that
must not reach production, where several web processes and real people are.

Each is a warning (Django's --deploy convention): the préfecture's IT sees it before
the first applicant does."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

LAPTOP_SMS_BACKENDS = {"console", "file", "locmem"}


@register(Tags.security, deploy=True)
def laptop_defaults(app_configs=None, **kwargs) -> list[Warning]:
    found = []
    if not settings.REDIS_URL:
        found.append(
            Warning(
                "REDIS_URL is not set: the cache is each process's own, so the "
                "attempt limits, the one-time codes and the anti-robot proofs are "
                "not shared between web processes (a right code can be refused, "
                "every limit is multiplied by the number of processes), and tasks "
                "run inside the web request.",
                hint="Set REDIS_URL (deploy/production.env.example).",
                id="prefecture.W001",
            )
        )
    if settings.MAILERS["default"]["BACKEND"].endswith("console.EmailBackend"):
        found.append(
            Warning(
                "EMAIL_URL is not set: e-mails are written to the log instead of "
                "being sent, with the applicants' addresses and the links that "
                "manage their appointments.",
                hint="Set EMAIL_URL to the SMTP server (smtp+tls://…).",
                id="prefecture.W002",
            )
        )
    if settings.SMS_BACKEND in LAPTOP_SMS_BACKENDS:
        found.append(
            Warning(
                f"SMS_BACKEND is {settings.SMS_BACKEND!r}: no SMS reaches an "
                "applicant (confirmations, codes, 'carte disponible', waiting-list "
                "offers).",
                hint="Set SMS_BACKEND=brevo with BREVO_API_KEY.",
                id="prefecture.W003",
            )
        )
    return found
