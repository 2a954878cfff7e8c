"""The applicant's checks, each behind failed-attempt limits held in the shared cache:
the register check at the identity step, the confirmation step's attempts, and the
second factor of the manage link.

The subjects of the counters (the session key, the client's IP) are worked out by the
view and passed in as plain strings.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings

from booking import rules, selectors
from booking.errors import IdentityMismatch, SecondFactorMismatch, TooManyAttempts
from booking.models import Booking
from booking.services import throttle

MANAGE_LIMIT = 5  # wrong second factors per appointment
MANAGE_IP_LIMIT = 30  # wrong second factors per IP, whatever the appointment


def _window_seconds() -> int:
    return settings.BOOKING_CHECK_WINDOW_MINUTES * 60


@dataclass(frozen=True)
class IdentityChecked:
    """Where a title found in the register leads: elsewhere (``redirect``, for a
    récépissé or an APS), to the appointment already booked (``active_booking``), or
    else on to the slots."""

    numero_etranger: str
    redirect: rules.Outcome | None = None
    active_booking: Booking | None = None


def identity_check(
    *,
    numero_etranger: str,
    valid_until: date,
    postal_code: str,
    session_key: str,
    client_ip: str,
    now: datetime,
) -> IdentityChecked:
    """Looks the three details up in the register, with failures limited per session,
    IP and numéro (when ANTIBOT is on). Raises TooManyAttempts (nothing looked up) or
    IdentityMismatch (the failure counted)."""
    counters = []
    if settings.ANTIBOT:
        limits = settings.BOOKING_CHECK_LIMITS
        counters = [
            throttle.Counter("session", session_key, limits["session"]),
            throttle.Counter("ip", client_ip, limits["ip"]),
            throttle.Counter("numero", numero_etranger, limits["numero"]),
        ]
    window = _window_seconds()
    wait = throttle.retry_after(counters, window_seconds=window)
    if wait:
        raise TooManyAttempts(wait)
    record = selectors.title_record_get(
        numero_etranger=numero_etranger,
        valid_until=valid_until,
        postal_code=postal_code,
    )
    if record is None:
        throttle.record(counters, window_seconds=window)
        raise IdentityMismatch
    redirect = rules.decide_title_outcome(record.title_type)
    if redirect is not None:
        return IdentityChecked(numero_etranger, redirect=redirect)
    return IdentityChecked(
        numero_etranger,
        active_booking=selectors.booking_get_active(
            numero_etranger=numero_etranger, now=now
        ),
    )


def confirmation_attempt_record(
    *, session_key: str, client_ip: str, has_proof: bool
) -> None:
    """Counts one attempt at the confirmation step, valid or not, per session and IP
    (and, without a proof of work, under a much tighter limit per IP) when ANTIBOT is
    on. Raises TooManyAttempts when the limit was already reached."""
    if not settings.ANTIBOT:
        return
    limits = settings.BOOKING_CONFIRM_LIMITS
    counters = [
        throttle.Counter("confirm-session", session_key, limits["session"]),
        throttle.Counter("confirm-ip", client_ip, limits["ip"]),
    ]
    if not has_proof:
        # No proof of work (no JavaScript, or a bot).
        counters.append(
            throttle.Counter("confirm-no-proof", client_ip, limits["no_proof_ip"])
        )
    window = _window_seconds()
    wait = throttle.retry_after(counters, window_seconds=window)
    throttle.record(counters, window_seconds=window)
    if wait:
        raise TooManyAttempts(wait)


def second_factor_check(*, booking: Booking, last_digits: str, client_ip: str) -> None:
    """Accepts the last four digits of the appointment's numéro étranger, with failures
    limited per appointment and per IP, always (four digits are quickly guessed).
    Raises TooManyAttempts (nothing compared) or SecondFactorMismatch (the
    failure counted)."""
    counters = [
        throttle.Counter("manage", str(booking.pk), MANAGE_LIMIT),
        throttle.Counter("manage-ip", client_ip, MANAGE_IP_LIMIT),
    ]
    window = _window_seconds()
    wait = throttle.retry_after(counters, window_seconds=window)
    if wait:
        raise TooManyAttempts(wait)
    if last_digits.strip() != booking.numero_etranger[-4:]:
        throttle.record(counters, window_seconds=window)
        raise SecondFactorMismatch
