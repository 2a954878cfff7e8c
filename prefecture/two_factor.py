"""Agents' second factor: a TOTP device per agent (django-otp), set up at first login."""

from base64 import b32encode

import segno
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def is_verified_agent(request: HttpRequest) -> bool:
    """Staff past both factors. OTPMiddleware adds is_verified(); a user logged in
    during this very request (the password step) is a plain User, and not verified."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(request.user.is_staff and is_verified and is_verified())


def totp_device_confirmed(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def totp_device_for_enrolment(user: AbstractBaseUser) -> TOTPDevice:
    """The agent's pending device: the same secret is shown until it is confirmed, so
    reloading the page does not invalidate what the phone has already scanned."""
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    )
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=_("Application d'authentification"), confirmed=False
        )
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The secret as an authenticator app expects it typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_now(device: TOTPDevice) -> str:
    """The code the agent's app shows right now (demo and tests only)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def totp_qr_svg(device: TOTPDevice) -> SafeString:
    # The issuer shown by the app comes from settings.OTP_TOTP_ISSUER.
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, title=_("QR code à scanner avec l'application d'authentification")
    )
    # Generated here from the device key and a fixed title: no user input inside.
    return mark_safe(svg)  # noqa: S308


def totp_check(device: TOTPDevice, code: str) -> str | None:
    """None when the code is right, else what to tell the agent. django-otp throttles
    failures in the database (shared by every process) and refuses a replayed code."""
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        return _(
            "Trop de codes erronés : attendez quelques secondes avant de réessayer."
        )
    digits = "".join(code.split())
    if digits.isdigit() and len(digits) == 6 and device.verify_token(digits):
        return None
    if digits.isdigit() and len(digits) == 6:
        return _(
            "Ce code n'est pas le bon (ou a déjà servi). Saisissez le code à 6 chiffres "
            "affiché maintenant par votre application."
        )
    return _("Saisissez les 6 chiffres affichés par votre application.")
