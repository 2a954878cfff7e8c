import re

from django.conf import settings
from django.core.checks import Error, register

SENDER = re.compile(r"[A-Za-z0-9]{1,11}")


@register()
def sms_sender_is_valid(app_configs, **kwargs):
    """Operators only accept an alphanumeric sender of at most 11 characters."""
    if SENDER.fullmatch(settings.SMS_SENDER):
        return []
    return [
        Error(
            f"SMS_SENDER {settings.SMS_SENDER!r} must be 1 to 11 letters or digits.",
            id="booking.E001",
        )
    ]


@register()
def sms_backend_is_known(app_configs, **kwargs):
    """A typo in SMS_BACKEND must stop the start-up, not the first SMS."""
    from booking.sms.base import BACKENDS

    if settings.SMS_BACKEND not in BACKENDS:
        return [
            Error(
                f"SMS_BACKEND {settings.SMS_BACKEND!r} is not one of "
                f"{', '.join(sorted(BACKENDS))}.",
                id="booking.E002",
            )
        ]
    if settings.SMS_BACKEND == "brevo" and not settings.BREVO_API_KEY:
        return [Error("SMS_BACKEND=brevo needs BREVO_API_KEY.", id="booking.E003")]
    return []
