"""The préfecture's rules, as plain functions over plain values (no ORM, no I/O).

Each docstring states the rule in one sentence; ``now`` is always passed in.
"""

import re
import unicodedata
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

import holidays

ANEF_URL = "https://invite.contacts-demarches.interieur.gouv.fr/Etrangers"
FIRST_REQUEST_URL = (
    "https://www.demarches-simplifiees.fr/commencer/"
    "formulaire-etranger-premiere-demande-de-titre"
)


class InvalidNumero(ValueError):
    """The numéro étranger is neither 10 digits nor a pre-2017 9-digit number."""


_SEPARATORS = re.compile(r"[\s.\-‐‑‒–—_/]+")


def normalize_numero_etranger(raw: str) -> str:
    """A numéro étranger has 10 digits; a pre-2017 resident card shows 9, and a 0 goes
    after its first two digits (208006503 → 2008006503); spaces, dots and dashes are
    ignored, as are the invisible characters a copy and paste brings (zero-width
    spaces); full-width digits (an Asian keyboard) read as digits."""
    text = unicodedata.normalize("NFKC", raw or "")
    visible = "".join(c for c in text if unicodedata.category(c) != "Cf")
    compact = _SEPARATORS.sub("", visible)
    if not compact.isascii() or not compact.isdigit():
        raise InvalidNumero(raw)
    if len(compact) == 10:
        return compact
    if len(compact) == 9:
        return compact[:2] + "0" + compact[2:]
    raise InvalidNumero(raw)


_POSTAL_CODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")


def normalize_postal_code(raw: str) -> str | None:
    """A French postal code is five digits (spaces ignored); None when it is not one."""
    compact = re.sub(r"\s+", "", raw or "")
    return compact if _POSTAL_CODE.match(compact) else None


class Situation(StrEnum):
    TITRE_SEJOUR = "titre_sejour"
    RECEPISSE = "recepisse"
    APS = "aps"
    PREMIERE_DEMANDE = "premiere_demande"


class Channel(StrEnum):
    COUNTER = "counter"
    ONLINE = "online"
    COLLECTION = "collection"


class OutcomeKind(StrEnum):
    BOOK = "book"
    REDIRECT = "redirect"
    COLLECT = "collect"


class Reason(StrEnum):
    RECEPISSE_HOLDER = "recepisse_holder"
    APS_HOLDER = "aps_holder"
    FIRST_REQUEST = "first_request"
    ONLINE_PROCEDURE = "online_procedure"
    COLLECTION = "collection"
    COUNTER = "counter"


@dataclass(frozen=True)
class ProcedureRule:
    """What the agents configured for a démarche: its channel and, if online, where."""

    channel: Channel
    url: str = ""


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: Reason
    url: str = ""


def decide_eligibility(situation: Situation, procedure: ProcedureRule) -> Outcome:
    """Collecting a card needs no appointment; a récépissé or APS holder goes to the
    ANEF, a first request to its online form, an online démarche to its link; anyone
    else books at the counter."""
    if procedure.channel == Channel.COLLECTION:
        return Outcome(OutcomeKind.COLLECT, Reason.COLLECTION)
    if situation == Situation.RECEPISSE:
        return Outcome(OutcomeKind.REDIRECT, Reason.RECEPISSE_HOLDER, ANEF_URL)
    if situation == Situation.APS:
        return Outcome(OutcomeKind.REDIRECT, Reason.APS_HOLDER, ANEF_URL)
    if situation == Situation.PREMIERE_DEMANDE:
        return Outcome(OutcomeKind.REDIRECT, Reason.FIRST_REQUEST, FIRST_REQUEST_URL)
    if procedure.channel == Channel.ONLINE:
        return Outcome(OutcomeKind.REDIRECT, Reason.ONLINE_PROCEDURE, procedure.url)
    return Outcome(OutcomeKind.BOOK, Reason.COUNTER)


class TitleType(StrEnum):
    """The register's title types that decide an outcome (the values of
    TitleRecord.TitleType)."""

    RECEPISSE = "recepisse"
    APS = "aps"


_TITLE_REASONS: dict[str, Reason] = {
    TitleType.RECEPISSE: Reason.RECEPISSE_HOLDER,
    TitleType.APS: Reason.APS_HOLDER,
}


def decide_title_outcome(title_type: str) -> Outcome | None:
    """Whatever situation was declared at the gate, a récépissé or an APS found in the
    register goes to the ANEF; any other title may book (None)."""
    reason = _TITLE_REASONS.get(title_type)
    return None if reason is None else Outcome(OutcomeKind.REDIRECT, reason, ANEF_URL)


@dataclass(frozen=True)
class BookingWindow:
    """How early and how late a démarche can be booked."""

    min_notice: timedelta
    max_horizon: timedelta


def is_bookable(starts_at: datetime, *, window: BookingWindow, now: datetime) -> bool:
    """A slot can be booked from ``max_horizon`` before it starts until ``min_notice``
    before it starts."""
    return now + window.min_notice <= starts_at <= now + window.max_horizon


COLLECTION_OPENS = time(9, 0)
COLLECTION_CLOSES = time(12, 0)


def in_collection_window(
    moment: datetime, closed_days: Container[date], *, tz: tzinfo
) -> bool:
    """Cards are handed over Monday to Friday from 9:00 to 12:00 (the préfecture's
    time, ``tz``), except on public holidays and closure days."""
    local = moment.astimezone(tz)
    return (
        local.weekday() < 5
        and local.date() not in closed_days
        and COLLECTION_OPENS <= local.time() < COLLECTION_CLOSES
    )


REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U


def is_valid_reference(reference: str) -> bool:
    """A booking reference is 8 characters from an alphabet without look-alikes."""
    return len(reference) == 8 and all(c in REFERENCE_ALPHABET for c in reference)


def next_sending_time(
    moment: datetime, *, quiet_from: time, quiet_until: time, tz: tzinfo
) -> datetime:
    """No SMS is sent between ``quiet_from`` and ``quiet_until`` (the préfecture's time,
    ``tz``; possibly across midnight; equal times mean no quiet hours): a message due
    then waits for ``quiet_until``."""
    if quiet_from == quiet_until:
        return moment
    local = moment.astimezone(tz)
    now = local.time()
    if quiet_from > quiet_until:
        quiet = now >= quiet_from or now < quiet_until
    else:
        quiet = quiet_from <= now < quiet_until
    if not quiet:
        return moment
    day = local.date() if now < quiet_until else local.date() + timedelta(days=1)
    return datetime.combine(day, quiet_until, tzinfo=tz)


def parse_day(text: str) -> date | None:
    """A day typed in a URL (YYYY-MM-DD), or None for anything else."""
    try:
        return date.fromisoformat(text[:10]) if len(text) == 10 else None
    except ValueError:
        return None


class UnreadableDate(ValueError):
    """The text is not a date written as day, month, year (nor the ISO form)."""


class NonexistentDate(ValueError):
    """The text is written as a date, but that day does not exist (31/02, month 13)."""


# Day, month, year with one kind of separator (/ - . or space), or the 8 or 6 digits
# together; the year has 4 digits or 2 (then in the 2000s: a title's end of validity).
_DAY_MONTH_YEAR = re.compile(
    r"^(?P<day>\d{1,2})(?P<sep>[/.\- ])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})$"
)
_DIGITS_ONLY = re.compile(r"^(?P<day>\d{2})(?P<month>\d{2})(?P<year>\d{4}|\d{2})$")
_ISO = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})$")


def parse_typed_date(raw: str) -> date:
    """A date is typed day first (31/12/2027, 31-12-2027, 31.12.2027, 31 12 2027,
    31122027, a 2-digit year meaning 20xx) or as ISO 2027-12-31; raises UnreadableDate
    when it is written otherwise and NonexistentDate when that day does not exist."""
    text = " ".join((raw or "").split())
    match = _DAY_MONTH_YEAR.match(text) or _DIGITS_ONLY.match(text) or _ISO.match(text)
    if match is None or not text.isascii():
        raise UnreadableDate(raw)
    year = int(match["year"])
    if len(match["year"]) == 2:
        year += 2000
    try:
        return date(year, int(match["month"]), int(match["day"]))
    except ValueError:
        raise NonexistentDate(raw) from None


class InvalidName(ValueError):
    """The text is not a person's name as a title of residence writes it."""


NAME_MAX_LENGTH = 80
_APOSTROPHES = "'’ʼ‘`´"
_HYPHENS = "-‐‑"
_NAME_SHAPE = re.compile(r"L+(?:[ '-]L+)*")


def _is_latin_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L") and unicodedata.name(
        char, ""
    ).startswith("LATIN ")


def _accent_table() -> tuple[str, str]:
    """Each accented Latin letter (Latin-1 and Latin Extended-A: é, ö, ç, ł is not
    one) and its plain letter, for a search that ignores accents."""
    accented, plain = [], []
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            accented.append(char)
            plain.append(base)
    return "".join(accented), "".join(plain)


NAME_ACCENTED, NAME_PLAIN = _accent_table()
_FOLD = str.maketrans(NAME_ACCENTED, NAME_PLAIN)


def fold_name(text: str) -> str:
    """A name as a search compares it: accents off, apostrophes and hyphens as
    spaces, upper case ("Lefèvre" and "LEFEVRE", "O'Connor" and "o connor" match).
    The database folds its column the same way (selectors.folded)."""
    text = unicodedata.normalize("NFC", text).translate(_FOLD)
    return " ".join(re.sub(r"['\-]", " ", text).split()).upper()


def normalize_name(raw: str) -> str:
    """A name (nom or prénom) is written as on the title of residence: 1 to 80 Latin
    letters, accents included, in words joined by one space, hyphen or apostrophe;
    no digits, no other signs, no line breaks. Spaces are tidied, apostrophes and
    hyphens made plain; raises InvalidName otherwise."""
    text = unicodedata.normalize("NFKC", raw or "").strip(" ")
    text = "".join(
        "'" if char in _APOSTROPHES else "-" if char in _HYPHENS else char
        for char in text
    )
    text = re.sub(r" *([-']) *", r"\1", re.sub(r" {2,}", " ", text))
    shape = []
    for index, char in enumerate(text):
        if _is_latin_letter(char):
            shape.append("L")
        elif unicodedata.category(char) == "Mn" and index and shape[-1] == "L":
            shape.append("L")  # a combining accent on the letter before it
        elif char in " '-":
            shape.append(char)
        else:
            raise InvalidName(raw)
    if len(text) > NAME_MAX_LENGTH or not _NAME_SHAPE.fullmatch("".join(shape)):
        raise InvalidName(raw)
    return unicodedata.normalize("NFC", text)


def is_plausible_name(raw: str) -> bool:
    """A name is plausible when ``normalize_name`` accepts it."""
    try:
        normalize_name(raw)
    except InvalidName:
        return False
    return True


# The waiting list (liste d'attente).

# The half-days a person may say they cannot come: Monday to Friday, morning (before
# noon, the préfecture's time) and afternoon. Bit ``weekday * 2 + afternoon`` of a
# request's mask.
HALF_DAY_CODES = tuple(
    f"{day}-{part}"
    for day in ("mon", "tue", "wed", "thu", "fri")
    for part in ("am", "pm")
)
ALL_HALF_DAYS = (1 << len(HALF_DAY_CODES)) - 1


def half_day_bit(starts_at: datetime, *, tz: tzinfo) -> int:
    """A slot's half-day as a bit of the mask (morning before noon, the préfecture's
    time); 0 on a weekend, which no preference excludes."""
    local = starts_at.astimezone(tz)
    if local.weekday() > 4:
        return 0
    return 1 << (local.weekday() * 2 + (local.time() >= time(12, 0)))


def half_days_mask(codes: Iterable[str]) -> int:
    """The mask of half-day codes ("mon-am"…); unknown codes are ignored."""
    mask = 0
    for code in codes:
        if code in HALF_DAY_CODES:
            mask |= 1 << HALF_DAY_CODES.index(code)
    return mask


def half_days_codes(mask: int) -> list[str]:
    return [code for i, code in enumerate(HALF_DAY_CODES) if mask & (1 << i)]


def is_waiting_compatible(
    *,
    site_id: int,
    starts_at: datetime,
    sites: Container[int],
    unavailable: int,
    before: datetime | None,
    tz: tzinfo,
) -> bool:
    """A place fits a waiting request when its site is one the person can go to, its
    half-day is not one they cannot come, and (for a person who already has an
    appointment and asked for an earlier one) it starts before that appointment."""
    return (
        site_id in sites
        and not unavailable & half_day_bit(starts_at, tz=tz)
        and (before is None or starts_at < before)
    )


def urgency_key(
    *, priority: int, title_valid_until: date, joined_at: datetime, pk: int
) -> tuple:
    """Places are offered in order of urgency: the agent's priority first (higher
    first), then the title that expires first, then the earliest joined."""
    return (-priority, title_valid_until, joined_at, pk)


def decide_offer_deadline(
    *,
    now: datetime,
    starts_at: datetime,
    min_notice: timedelta,
    offer_hours: int,
    min_answer: timedelta,
    quiet_from: time,
    quiet_until: time,
    tz: tzinfo,
) -> datetime | None:
    """An offer can be answered for ``offer_hours`` from the moment its SMS can be sent
    (the quiet hours do not count toward it), and never later than the slot's minimum
    notice; a place that leaves less than ``min_answer`` to answer is not offered
    (None)."""
    window_start = next_sending_time(
        now, quiet_from=quiet_from, quiet_until=quiet_until, tz=tz
    )
    deadline = min(window_start + timedelta(hours=offer_hours), starts_at - min_notice)
    if deadline - window_start < min_answer:
        return None
    return deadline


def list_share_indices(count: int, percent: int) -> set[int]:
    """Of a batch of ``count`` new slots in time order, the ``percent`` kept for the
    waiting list (rounded up), spread evenly across the batch so that the list gets
    mornings and afternoons, early and late days alike."""
    reserved = min(count, -(-count * max(0, percent) // 100))
    if reserved <= 0:
        return set()
    return {(i * count) // reserved for i in range(reserved)}


class CheckInKind(StrEnum):
    PRESENT = "present"
    NO_SHOW = "no_show"


def is_check_in_allowed(
    kind: CheckInKind | str,
    *,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    tz: tzinfo,
) -> bool:
    """An applicant is recorded present from the appointment's day on (the
    préfecture's time, ``tz``), and absent only once the appointment has ended."""
    if kind == CheckInKind.NO_SHOW:
        return now >= ends_at
    return now.astimezone(tz).date() >= starts_at.astimezone(tz).date()


def is_changeable_online(
    *, starts_at: datetime, now: datetime, cutoff: timedelta
) -> bool:
    """The applicant moves or cancels an appointment online until ``cutoff`` before
    it (BOOKING_CHANGE_CUTOFF_HOURS); after that, only the front desk can."""
    return starts_at - now >= cutoff


def is_agent_cancel_allowed(*, starts_at: datetime, now: datetime) -> bool:
    """An agent cancels an appointment (the applicant told by SMS) until it starts;
    after that it is marked present or absent, and no SMS says it is cancelled."""
    return now < starts_at


def is_check_in_undo_allowed(
    *, recorded_at: datetime, now: datetime, tz: tzinfo
) -> bool:
    """A present or absent recorded by mistake can be undone the day it was recorded
    (the préfecture's time, ``tz``), not later."""
    return recorded_at.astimezone(tz).date() == now.astimezone(tz).date()


def public_holiday_name(day: date) -> str:
    """The French public holiday on ``day`` (its name, as the library gives it), or
    "" on a working day: no slot opens then (slots_generate, an agent's own)."""
    return holidays.country_holidays("FR", years=day.year).get(day, "")
