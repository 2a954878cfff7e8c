"""The booking flow's state: signed, expiring, bound to the session that earned it.

The gate writes it; each later step refuses a request whose state is missing,
tampered with, expired, or copied from another session."""

from dataclasses import asdict, dataclass, replace

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

SESSION_KEY = "booking_flow"
SALT = "booking.flow"  # unchanged by the move: live flows stay valid


@dataclass(frozen=True)
class FlowState:
    procedure_id: int
    situation: str
    numero_etranger: str = ""
    for_relative: bool = False
    hold_token: str = ""
    slot_id: int = 0
    # The register's validity date of the title (ISO), for the waiting list's urgency.
    valid_until: str = ""

    def with_changes(self, **changes) -> "FlowState":
        return replace(self, **changes)


def _session_key(request: HttpRequest) -> str:
    session = request.session
    if session.session_key is None:
        reserve = getattr(session, "reserve_key", None)
        if reserve is not None:  # Redis: written once, at the response
            return reserve()
        session.save()
    return session.session_key or ""


def save(request: HttpRequest, state: FlowState) -> None:
    payload = {"session": _session_key(request), **asdict(state)}
    request.session[SESSION_KEY] = signing.dumps(payload, salt=SALT, compress=True)


def load(request: HttpRequest) -> FlowState | None:
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    try:
        payload = signing.loads(
            token, salt=SALT, max_age=settings.BOOKING_FLOW_MAX_AGE_SECONDS
        )
    except signing.BadSignature:  # tampered with, or expired
        return None
    if payload.pop("session", None) != request.session.session_key:
        return None
    try:
        return FlowState(**payload)
    except TypeError:
        return None


def clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
