"""Agents' second factor: a TOTP device per agent (django-otp), set up at first login
with a single-use enrolment code that a superuser issued (never the password alone)."""

import hashlib
import logging
import secrets
from base64 import b32encode
from datetime import datetime, timedelta

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from prefecture.models import TotpEnrolmentGrant

logger = logging.getLogger(__name__)

# Where the hash of the enrolment code an agent presented waits for the TOTP setup.
ENROLMENT_SESSION_KEY = "totp_enrolment_code_hash"
# Read aloud or typed without ambiguity: no 0/O, no 1/I.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 20  # 32 ** 20 = 2 ** 100 codes


class EnrolmentRefused(Exception):
    """An enrolment code cannot be issued for this account; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EnrolmentCodeInvalid(Exception):
    """The enrolment code is unknown, for someone else, expired, used or superseded."""


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


def enrolment_code_hash(code: str) -> str:
    """The stored form of a code: SHA-256 of its letters and digits, upper case (a
    code has 100 random bits, so a fast hash is enough; spaces and hyphens typed by
    hand do not matter)."""
    letters = "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())
    return hashlib.sha256(letters.encode()).hexdigest()


def _new_enrolment_code() -> str:
    letters = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(letters[i : i + 4] for i in range(0, _CODE_LENGTH, 4))


def totp_enrolment_issue(
    *, user: User, by: User | None, now: datetime
) -> tuple[str, TotpEnrolmentGrant]:
    """A new single-use enrolment code for an active staff account without a
    confirmed device, valid AGENT_TOTP_ENROLMENT_HOURS; the agent's previous code is
    revoked and any device set up halfway is deleted (its secret may have been seen).
    `by` is the superuser issuing it (None: the command line). Returns the code,
    shown once and stored only as a hash. Raises EnrolmentRefused."""
    if by is not None and not getattr(by, "is_superuser", False):
        raise EnrolmentRefused(
            _("Seul un superutilisateur peut créer un lien d'enrôlement.")
        )
    code = _new_enrolment_code()
    with transaction.atomic():
        # The agent's row is the lock every change of their enrolment takes first.
        agent = get_user_model().objects.select_for_update().get(pk=user.pk)
        username = agent.get_username()
        if not (agent.is_active and agent.is_staff):
            raise EnrolmentRefused(
                _("%(username)s n'est pas un compte d'agent actif.")
                % {"username": username}
            )
        if totp_device_confirmed(agent) is not None:
            raise EnrolmentRefused(
                _(
                    "%(username)s a déjà une application d'authentification : "
                    "supprimez d'abord son appareil (« TOTP devices ») s'il l'a perdu."
                )
                % {"username": username}
            )
        TotpEnrolmentGrant.objects.filter(
            user=agent, used_at=None, revoked_at=None
        ).update(revoked_at=now)
        TOTPDevice.objects.filter(user=agent, confirmed=False).delete()
        grant = TotpEnrolmentGrant.objects.create(
            user=agent,
            code_hash=enrolment_code_hash(code),
            issued_by=by,
            issued_at=now,
            expires_at=now + timedelta(hours=settings.AGENT_TOTP_ENROLMENT_HOURS),
        )
    logger.info(
        "TOTP enrolment code issued for %s by %s, expires %s",
        username,
        by.get_username() if by is not None else "the command line",
        grant.expires_at.isoformat(),
    )
    return code, grant


def totp_enrolment_grant_valid(
    *, user: User, code_hash: str, now: datetime
) -> TotpEnrolmentGrant | None:
    """The agent's outstanding, unexpired grant with this code hash, if any."""
    return TotpEnrolmentGrant.objects.filter(
        user=user,
        code_hash=code_hash,
        used_at=None,
        revoked_at=None,
        expires_at__gt=now,
    ).first()


@transaction.atomic
def totp_enrolment_complete(
    *, user: User, device: TOTPDevice, code_hash: str, now: datetime
) -> None:
    """Confirms the agent's new device and uses up the enrolment code, both or
    neither. Raises EnrolmentCodeInvalid when the code is no longer valid (used,
    expired, or superseded since it was presented)."""
    # After the agent's lock, an issue running at the same time has committed or
    # not started: the checks below read the latest grant and device.
    get_user_model().objects.select_for_update().get(pk=user.pk)
    grant = totp_enrolment_grant_valid(user=user, code_hash=code_hash, now=now)
    if grant is None or not TOTPDevice.objects.filter(pk=device.pk).exists():
        logger.warning(
            "TOTP enrolment refused for %s: code no longer valid", user.get_username()
        )
        raise EnrolmentCodeInvalid
    grant.used_at = now
    grant.save(update_fields=["used_at"])
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    logger.info("TOTP enrolment code used by %s: device confirmed", user.get_username())
