"""The link that lets an applicant manage their appointment: it carries the booking's
own random secret (``Booking.manage_token``, 128 bits), sent only to the applicant's
mobile and e-mail; nothing in the register entry or the reference leads to it."""

import re

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from booking.models import Booking

# secrets.token_urlsafe(16): 22 characters of base64url.
TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{22}")


def manage_path(booking: Booking) -> str:
    return reverse("booking:manage", kwargs={"token": booking.manage_token})


def short_path(booking: Booking) -> str:
    """The short form sent by SMS: /rdv/<token>/ (/en/rdv/<token>/ in English)."""
    return reverse("booking_short_link", kwargs={"token": booking.manage_token})


def manage_url(booking: Booking) -> str:
    """The manage page's address as sent (e-mail, calendar file): absolute, in the
    booking's language (/en/... in English), whatever language is active."""
    with translation.override(booking.language):
        return settings.PUBLIC_BASE_URL + manage_path(booking)


def short_url(booking: Booking) -> str:
    """The short manage link as the SMS carry it: absolute, in the booking's
    language."""
    with translation.override(booking.language):
        return settings.PUBLIC_BASE_URL + short_path(booking)


def is_token_shaped(value: str) -> bool:
    return TOKEN_FORMAT.fullmatch(value) is not None


def booking_from_token(token: str) -> Booking | None:
    """The booking a link points to; None for anything else (checked for shape first,
    so stray bytes never reach the database)."""
    if not is_token_shaped(token):
        return None
    return (
        Booking.objects.select_related("slot__site", "procedure")
        .filter(manage_token=token)
        .first()
    )


def mobile_hint(number: str) -> str:
    """Where a message went, without giving the number away: a French number in
    national format, "06 •• •• •• 78"; another one as "+44 •••• 78"."""
    dot = "\u2022"
    for prefix in ("+33", "+262", "+269", "+508", "+590", "+594", "+596", "+687"):
        if number.startswith(prefix) and len(number) - len(prefix) == 9:
            national = "0" + number[len(prefix) :]
            return f"{national[:2]} {dot * 2} {dot * 2} {dot * 2} {national[-2:]}"
    return f"{number[:3]} {dot * 4} {number[-2:]}"


def email_hint(address: str, *, mask: str = "\u2022" * 3) -> str:
    """Where an e-mail went, without giving the address away: its first letter and
    its domain, "a•••@example.org"."""
    local, at, domain = address.rpartition("@")
    return (local[:1] + mask + at + domain) if at else mask
