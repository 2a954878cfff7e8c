"""The applicant's checks, each behind failed-attempt limits held in the shared cache:
the register check at the identity step, the confirmation step's attempts, the
look-ups of manage links, and the manage page's one-time code.

No limit counted on someone else's subject (a numéro, an appointment) ever stops the
rightful holder: past the numéro's limit a check still runs, behind a harder proof of
work, and the manage page's tries are counted per IP and appointment and per code.

The subjects of the counters (the session key, the client's IP) are worked out by the
view and passed in as plain strings.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

from booking import rules, selectors
from booking.errors import IdentityMismatch, SecondFactorMismatch, TooManyAttempts
from booking.manage_links import booking_from_token
from booking.models import Booking, WaitingOffer, WaitingRequest
from booking.services import notices, throttle, waiting_notices
from booking.waiting_links import offer_from_token, request_from_token

MANAGE_LIMIT = 5  # wrong codes per IP and appointment, and per code
MANAGE_IP_LIMIT = 30  # wrong codes per IP, whatever the appointment


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
    # The numéro is over its failure limit (someone may be guessing): nothing was
    # looked up; the check runs again with the harder proof of work.
    needs_proof: bool = False
    # The title's validity date in the register (the waiting list's urgency).
    valid_until: date | None = None


def identity_check(
    *,
    numero_etranger: str,
    valid_until: date,
    postal_code: str,
    session_key: str,
    client_ip: str,
    now: datetime,
    has_hard_proof: bool = False,
) -> IdentityChecked:
    """Looks the three details up in the register, with failures limited per session
    and IP, and per numéro (when ANTIBOT is on). Past the numéro's limit, only a
    check carrying the harder proof of work is heard (``needs_proof`` otherwise), so
    that others' failures never lock the holder out. Raises TooManyAttempts (the
    session's or IP's limit: nothing looked up) or IdentityMismatch (the failure
    counted)."""
    counters: list[throttle.Counter] = []
    numero_counter = None
    if settings.ANTIBOT:
        limits = settings.BOOKING_CHECK_LIMITS
        counters = [
            throttle.Counter("session", session_key, limits["session"]),
            throttle.Counter("ip", client_ip, limits["ip"]),
        ]
        numero_counter = throttle.Counter("numero", numero_etranger, limits["numero"])
    window = _window_seconds()
    wait = throttle.retry_after(counters, window_seconds=window)
    if wait:
        raise TooManyAttempts(wait)
    if numero_counter is not None:
        over = throttle.retry_after([numero_counter], window_seconds=window)
        if over and not has_hard_proof:
            return IdentityChecked(numero_etranger, needs_proof=True)
        counters.append(numero_counter)
    found = selectors.title_record_check(
        numero_etranger=numero_etranger,
        valid_until=valid_until,
        postal_code=postal_code,
        now=now,
    )
    if found is None:
        throttle.record(counters, window_seconds=window)
        raise IdentityMismatch
    redirect = rules.decide_title_outcome(found.title_type)
    if redirect is not None:
        return IdentityChecked(numero_etranger, redirect=redirect)
    return IdentityChecked(
        numero_etranger,
        # Read with the title whether there is one (there rarely is), then itself.
        active_booking=selectors.booking_get_active(
            numero_etranger=numero_etranger, now=now
        )
        if found.has_active_booking
        else None,
        valid_until=found.valid_until,
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
    wait = throttle.attempt_record(counters, window_seconds=window)
    if wait:
        raise TooManyAttempts(wait)


def manage_link_lookup(*, token: str, client_ip: str) -> Booking | None:
    """The booking behind a manage link, with look-ups limited per IP (all of them,
    and the failed ones more tightly) when ANTIBOT is on. Raises TooManyAttempts
    (nothing looked up); None for an unknown or old-style link (the failure
    counted)."""
    return _link_lookup(token, client_ip, booking_from_token)


def _link_lookup[T](
    token: str, client_ip: str, find: Callable[[str], T | None]
) -> T | None:
    counters: list[throttle.Counter] = []
    failed: list[throttle.Counter] = []
    if settings.ANTIBOT:
        limits = settings.BOOKING_LINK_LOOKUP_LIMITS
        counters = [throttle.Counter("link-ip", client_ip, limits["ip"])]
        failed = [throttle.Counter("link-failed-ip", client_ip, limits["failed_ip"])]
    window = _window_seconds()
    wait = throttle.retry_after(counters + failed, window_seconds=window)
    if wait:
        raise TooManyAttempts(wait)
    throttle.record(counters, window_seconds=window)
    found = find(token)
    if found is None:
        throttle.record(failed, window_seconds=window)
    return found


def _code_key(subject: str) -> str:
    return f"manage-code:{subject}"


def _code_digest(subject: str, code: str) -> str:
    # Keyed by SECRET_KEY and the subject: the cache never holds the code.
    return salted_hmac(
        "booking.manage-code", f"{subject}:{code}", algorithm="sha256"
    ).hexdigest()


def _code_store(subject: str, code: str) -> None:
    lifetime = settings.BOOKING_MANAGE_CODE_MINUTES * 60
    key = _code_key(subject)
    cache.set_many({key: _code_digest(subject, code), key + ":tries": 0}, lifetime)


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def manage_code_issue(*, booking: Booking, now: datetime) -> notices.Sent:
    """Sends a new 6-digit one-time code by SMS to the booking's mobile, or by e-mail
    when the mobile is outside SMS_ALLOWED_REGIONS (valid
    BOOKING_MANAGE_CODE_MINUTES, MANAGE_LIMIT tries, stored hashed; it replaces the
    previous one). Where it went; falsy when the day's codes are used up or the
    holder cannot be reached (nothing sent)."""
    code = _new_code()
    sent = notices.booking_manage_code_notice(booking_id=booking.pk, code=code, now=now)
    if sent:
        _code_store(str(booking.pk), code)
    return sent


def second_factor_check(*, booking: Booking, code: str, client_ip: str) -> None:
    """Accepts the one-time code last sent to the booking's holder, once. Tries are
    limited per code (then it is void: ask for a new one), and wrong ones per IP and
    appointment and per IP, always; no limit is per appointment alone, so someone
    else's tries never lock out the holder of the link and the phone. Raises
    TooManyAttempts (nothing compared) or SecondFactorMismatch (no live code, or the
    failure counted)."""
    _code_check(str(booking.pk), code=code, client_ip=client_ip)


def waiting_code_issue(*, request: WaitingRequest, now: datetime) -> str:
    """The status page's one-time code, as for a manage link, to the request's mobile
    (or e-mail); the channel used, "" when nothing was sent."""
    code = _new_code()
    channel = waiting_notices.waiting_code_notice(
        request_id=request.pk, code=code, now=now
    )
    if channel:
        _code_store(f"w{request.pk}", code)
    return channel


def waiting_code_check(*, request: WaitingRequest, code: str, client_ip: str) -> None:
    """As second_factor_check, for a waiting request's status page."""
    _code_check(f"w{request.pk}", code=code, client_ip=client_ip)


def _code_check(subject: str, *, code: str, client_ip: str) -> None:
    counters = [
        throttle.Counter("manage", f"{client_ip}:{subject}", MANAGE_LIMIT),
        throttle.Counter("manage-ip", client_ip, MANAGE_IP_LIMIT),
    ]
    window = _window_seconds()
    wait = throttle.retry_after(counters, window_seconds=window)
    if wait:
        raise TooManyAttempts(wait)
    key = _code_key(subject)
    digest = cache.get(key)
    try:
        # Counted atomically before comparing: parallel tries cannot exceed it.
        tries = cache.incr(key + ":tries") if digest else MANAGE_LIMIT + 1
    except ValueError:  # expired meanwhile
        tries = MANAGE_LIMIT + 1
    typed = "".join(code.split())
    if tries <= MANAGE_LIMIT and constant_time_compare(
        digest, _code_digest(subject, typed)
    ):
        cache.delete_many([key, key + ":tries"])  # single use
        return
    if tries >= MANAGE_LIMIT:
        cache.delete_many([key, key + ":tries"])
    throttle.record(counters, window_seconds=window)
    raise SecondFactorMismatch


def waiting_link_lookup(*, token: str, client_ip: str) -> WaitingRequest | None:
    """The request behind a status link, with look-ups limited per IP as for manage
    links. Raises TooManyAttempts; None for an unknown link (the failure counted)."""
    return _link_lookup(token, client_ip, request_from_token)


def offer_link_lookup(*, token: str, client_ip: str) -> WaitingOffer | None:
    """The offer behind an offer link, limited as above."""
    return _link_lookup(token, client_ip, offer_from_token)
