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
