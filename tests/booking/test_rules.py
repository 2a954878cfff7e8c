"""The préfecture's rules, without a database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking import rules
from booking.rules import (
    ANEF_URL,
    FIRST_REQUEST_URL,
    Channel,
    InvalidNumero,
    OutcomeKind,
    ProcedureRule,
    Situation,
    normalize_numero_etranger,
)
from tests.clock import PARIS

digits = st.text(alphabet="0123456789", min_size=1, max_size=20)


def test_seed_example_nine_digits_gets_a_zero_after_the_first_two():
    assert normalize_numero_etranger("208006503") == "2008006503"


@pytest.mark.parametrize(
    "typed",
    ["2008006503", "20 08 00 65 03", "2008.006.503", "2008-006-503", " 2008006503 "],
)
def test_spaces_dots_and_dashes_are_ignored(typed):
    assert normalize_numero_etranger(typed) == "2008006503"


@pytest.mark.parametrize(
    "typed",
    [
        "２００８００６５０３",
        "2008\u200b006503",
        "\ufeff2008006503",
        "2008\u00ad006503",
    ],
    ids=["full-width", "zero-width space", "byte order mark", "soft hyphen"],
)
def test_what_a_keyboard_or_a_paste_brings_is_read_as_the_digits(typed):
    """Found by the applicant's walk: ten digits typed, refused as "il a 10
    chiffres"."""
    assert normalize_numero_etranger(typed) == "2008006503"


def test_other_scripts_digits_are_still_refused():
    with pytest.raises(InvalidNumero):
        normalize_numero_etranger("٢٠٠٨٠٠٦٥٠٣")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_nine_digit_number_maps_to_the_seed_rule(nine):
    assert normalize_numero_etranger(nine) == nine[:2] + "0" + nine[2:]


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_ten_digits_are_kept_and_normalising_is_idempotent(ten):
    assert normalize_numero_etranger(ten) == ten
    assert normalize_numero_etranger(normalize_numero_etranger(ten)) == ten


@given(digits.filter(lambda d: len(d) not in (9, 10)))
def test_every_other_length_is_rejected(number):
    with pytest.raises(InvalidNumero):
        normalize_numero_etranger(number)


@given(st.text(max_size=30).filter(lambda t: not t.strip(" .-").isdigit()))
def test_anything_not_made_of_digits_is_rejected(text):
    compact = "".join(c for c in text if c not in " .-\t\n\r\x0b\x0c_/‐‑‒–—")
    if compact.isascii() and compact.isdigit() and len(compact) in (9, 10):
        return  # separators only around digits: a valid number
    with pytest.raises(InvalidNumero):
        normalize_numero_etranger(text)


@pytest.mark.parametrize(
    "typed", ["", "12345678", "12345678901", "20080O6503", "٢٠٠٨٠٠٦٥٠٣"]
)
def test_invalid_numbers(typed):
    with pytest.raises(InvalidNumero):
        normalize_numero_etranger(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("45000", "45000"), ("45 000", "45000"), ("20000", "20000"), ("97100", "97100")],
)
def test_postal_codes(typed, expected):
    assert rules.normalize_postal_code(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "4500", "450000", "2A000", "ABCDE", "00100", "99000"]
)
def test_bad_postal_codes(typed):
    assert rules.normalize_postal_code(typed) is None


COUNTER = ProcedureRule(Channel.COUNTER)
ONLINE = ProcedureRule(Channel.ONLINE, ANEF_URL)
COLLECTION = ProcedureRule(Channel.COLLECTION)


@pytest.mark.parametrize(
    ("situation", "procedure", "kind", "url"),
    [
        (Situation.TITRE_SEJOUR, COUNTER, OutcomeKind.BOOK, ""),
        (Situation.RECEPISSE, COUNTER, OutcomeKind.REDIRECT, ANEF_URL),
        (Situation.APS, COUNTER, OutcomeKind.REDIRECT, ANEF_URL),
        (Situation.PREMIERE_DEMANDE, COUNTER, OutcomeKind.REDIRECT, FIRST_REQUEST_URL),
        (Situation.TITRE_SEJOUR, ONLINE, OutcomeKind.REDIRECT, ANEF_URL),
        (Situation.TITRE_SEJOUR, COLLECTION, OutcomeKind.COLLECT, ""),
        (Situation.RECEPISSE, COLLECTION, OutcomeKind.COLLECT, ""),
    ],
)
def test_decide_eligibility(situation, procedure, kind, url):
    outcome = rules.decide_eligibility(situation, procedure)
    assert (outcome.kind, outcome.url) == (kind, url)


@pytest.mark.parametrize(
    ("title_type", "reason"),
    [
        ("recepisse", rules.Reason.RECEPISSE_HOLDER),
        ("aps", rules.Reason.APS_HOLDER),
    ],
)
def test_decide_title_outcome_sends_recepisse_and_aps_holders_to_the_anef(
    title_type, reason
):
    assert rules.decide_title_outcome(title_type) == rules.Outcome(
        OutcomeKind.REDIRECT, reason, ANEF_URL
    )


@pytest.mark.parametrize("title_type", ["carte_sejour", "carte_resident", "vls_ts"])
def test_decide_title_outcome_lets_other_titles_book(title_type):
    assert rules.decide_title_outcome(title_type) is None


def test_booking_window_edges():
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    window = rules.BookingWindow(timedelta(hours=2), timedelta(days=60))
    assert rules.is_bookable(now + timedelta(hours=2), window=window, now=now)
    assert not rules.is_bookable(
        now + timedelta(hours=1, minutes=59), window=window, now=now
    )
    assert rules.is_bookable(now + timedelta(days=60), window=window, now=now)
    assert not rules.is_bookable(
        now + timedelta(days=60, seconds=1), window=window, now=now
    )
    assert not rules.is_bookable(now - timedelta(hours=1), window=window, now=now)


FR_HOLIDAYS = holidays.country_holidays("FR", years=[2026, 2027])


def paris(*args):
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (paris(2026, 11, 27, 8, 59), False),  # Friday
        (paris(2026, 11, 27, 9, 0), True),
        (paris(2026, 11, 27, 11, 59), True),
        (paris(2026, 11, 27, 12, 0), False),
        (paris(2026, 11, 28, 10, 0), False),  # Saturday
        (paris(2027, 5, 1, 10, 0), False),  # 1 May (a Saturday in 2027)
        (paris(2026, 5, 1, 10, 0), False),  # 1 May, a Friday
        (paris(2026, 7, 14, 10, 0), False),  # 14 July, a Tuesday
        (paris(2026, 4, 6, 10, 0), False),  # Easter Monday
        (paris(2026, 4, 7, 10, 0), True),  # the day after Easter Monday
    ],
)
def test_collection_window_edges(moment, open_):
    assert rules.in_collection_window(moment, FR_HOLIDAYS, tz=PARIS) is open_


def test_collection_window_reads_the_given_time_zone():
    utc_eight = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 9:00 in Paris (winter)
    assert rules.in_collection_window(utc_eight, set(), tz=PARIS)
    assert not rules.in_collection_window(utc_eight, set(), tz=UTC)
    assert rules.in_collection_window(utc_eight, set(), tz=ZoneInfo("Europe/Moscow"))


def test_collection_window_honours_closure_days():
    assert not rules.in_collection_window(
        paris(2026, 11, 27, 10, 0), {date(2026, 11, 27)}, tz=PARIS
    )


def test_reference_alphabet_has_no_look_alikes():
    assert not set("01ILOU") & set(rules.REFERENCE_ALPHABET)


QUIET = {"quiet_from": rules.time(20, 0), "quiet_until": rules.time(8, 0), "tz": PARIS}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (paris(2026, 11, 26, 19, 59), paris(2026, 11, 26, 19, 59)),
        (paris(2026, 11, 26, 20, 0), paris(2026, 11, 27, 8, 0)),
        (paris(2026, 11, 26, 23, 30), paris(2026, 11, 27, 8, 0)),
        (paris(2026, 11, 27, 3, 0), paris(2026, 11, 27, 8, 0)),
        (paris(2026, 11, 27, 8, 0), paris(2026, 11, 27, 8, 0)),
        (
            paris(2026, 3, 28, 22, 0),
            paris(2026, 3, 29, 8, 0),
        ),  # night of the DST change
    ],
)
def test_no_sms_between_20h_and_8h(moment, expected):
    assert rules.next_sending_time(moment, **QUIET) == expected


def test_equal_bounds_mean_no_quiet_hours():
    night = paris(2026, 11, 26, 23, 0)
    same = {
        "quiet_from": rules.time(8, 0),
        "quiet_until": rules.time(8, 0),
        "tz": PARIS,
    }
    assert rules.next_sending_time(night, **same) == night


def test_an_appointment_changes_online_until_the_cutoff():
    from datetime import UTC, datetime, timedelta

    from booking.rules import is_changeable_online

    starts = datetime(2027, 3, 28, 9, tzinfo=UTC)
    cutoff = timedelta(hours=24)
    assert is_changeable_online(starts_at=starts, now=starts - cutoff, cutoff=cutoff)
    assert not is_changeable_online(
        starts_at=starts, now=starts - cutoff + timedelta(seconds=1), cutoff=cutoff
    )
