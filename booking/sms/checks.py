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


@register()
def sms_texts_fit(app_configs, **kwargs):
    """Every SMS keeps its link whole: PUBLIC_BASE_URL must leave room for the
    site's name."""
    from booking.sms.texts import SITE_NAME_MIN_ROOM, site_name_room

    room = site_name_room()
    if room >= SITE_NAME_MIN_ROOM:
        return []
    return [
        Error(
            f"PUBLIC_BASE_URL {settings.PUBLIC_BASE_URL!r} is too long for one SMS: "
            f"it leaves {room} characters for a site's name "
            f"(at least {SITE_NAME_MIN_ROOM} needed).",
            id="booking.E010",
        )
    ]
