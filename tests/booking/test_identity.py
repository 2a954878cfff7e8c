"""The applicant's checks as services: the register at the identity step, the
confirmation step's attempts, the manage link's second factor."""

from datetime import date

import pytest
from django.utils import timezone

from booking import rules
from booking.errors import IdentityMismatch, SecondFactorMismatch, TooManyAttempts
from booking.models import OutgoingMessage, TitleRecord
from booking.services.identity import (
    IdentityChecked,
    confirmation_attempt_record,
    identity_check,
    manage_code_issue,
    second_factor_check,
)
from tests.factories import BookingFactory, TitleRecordFactory

pytestmark = pytest.mark.django_db

NUMERO = "2008006503"
VALID_UNTIL = date(2028, 3, 31)


@pytest.fixture
def title():
    return TitleRecordFactory(
        numero_etranger=NUMERO, valid_until=VALID_UNTIL, postal_code="45000"
    )


def check(
    numero=NUMERO,
    valid_until=VALID_UNTIL,
    postal_code="45000",
    session="s1",
    ip="ip1",
    hard_proof=False,
):
    return identity_check(
        numero_etranger=numero,
        valid_until=valid_until,
        postal_code=postal_code,
        session_key=session,
        client_ip=ip,
        now=timezone.now(),
        has_hard_proof=hard_proof,
    )


def test_identity_check_lets_a_registered_title_book(title):
    assert check() == IdentityChecked(NUMERO, valid_until=VALID_UNTIL)


@pytest.mark.parametrize(
    "wrong",
    [
        {"numero": "2008006504"},
        {"valid_until": date(2028, 3, 30)},
        {"postal_code": "45100"},
    ],
)
def test_identity_check_needs_all_three_details(title, wrong):
    with pytest.raises(IdentityMismatch):
        check(**wrong)


@pytest.mark.parametrize(
    ("title_type", "reason"),
    [
        (TitleRecord.TitleType.RECEPISSE, rules.Reason.RECEPISSE_HOLDER),
        (TitleRecord.TitleType.APS, rules.Reason.APS_HOLDER),
    ],
)
def test_identity_check_sends_recepisse_and_aps_holders_to_the_anef(title_type, reason):
    TitleRecordFactory(
        numero_etranger=NUMERO, valid_until=VALID_UNTIL, title_type=title_type
    )
    BookingFactory(numero_etranger=NUMERO)  # the register's title type comes first
    checked = check()
    assert checked.redirect == rules.Outcome(
        rules.OutcomeKind.REDIRECT, reason, rules.ANEF_URL
    )
    assert checked.active_booking is None


def test_identity_check_returns_the_active_booking(title):
    existing = BookingFactory(numero_etranger=NUMERO)
    checked = check()
    assert checked.redirect is None and checked.active_booking == existing


def test_the_rules_title_types_are_the_registers():
    for title_type in rules.TitleType:
        assert TitleRecord.TitleType(title_type.value).value == title_type


def test_identity_check_refuses_without_a_lookup_once_the_session_is_over_its_limit(
    title, settings, django_assert_num_queries
):
    settings.BOOKING_CHECK_LIMITS = {"session": 2, "ip": 100, "numero": 100}
    for _ in range(2):
        with pytest.raises(IdentityMismatch):
            check(postal_code="45100")
    with django_assert_num_queries(0), pytest.raises(TooManyAttempts) as refused:
        check()  # now right
    assert 0 < refused.value.wait_seconds <= 15 * 60
    assert check(session="s2") == IdentityChecked(
        NUMERO, valid_until=VALID_UNTIL
    )  # another session


def test_identity_check_counts_failures_per_ip_and_per_numero(title, settings):
    settings.BOOKING_CHECK_LIMITS = {"session": 100, "ip": 2, "numero": 2}
    for session in ("a", "b"):
        with pytest.raises(IdentityMismatch):
            check(postal_code="45100", session=session)
    # Same numéro, another IP: nothing looked up without the harder proof...
    assert check(session="c", ip="ip2") == IdentityChecked(NUMERO, needs_proof=True)
    # ...wrong ones with it stay counted, the right one passes.
    with pytest.raises(IdentityMismatch):
        check(postal_code="45100", session="c", ip="ip2", hard_proof=True)
    assert check(session="c", ip="ip3", hard_proof=True) == IdentityChecked(
        NUMERO, valid_until=VALID_UNTIL
    )
    with pytest.raises(TooManyAttempts):
        check(numero="4500000000", session="d")  # same IP


def test_identity_check_does_not_count_a_success(title, settings):
    settings.BOOKING_CHECK_LIMITS = {"session": 1, "ip": 1, "numero": 1}
    for _ in range(3):
        assert check() == IdentityChecked(NUMERO, valid_until=VALID_UNTIL)


def test_identity_check_is_not_limited_when_antibot_is_off(title, settings):
    settings.ANTIBOT = False
    settings.BOOKING_CHECK_LIMITS = {"session": 1, "ip": 1, "numero": 1}
    for _ in range(3):
        with pytest.raises(IdentityMismatch):
            check(postal_code="45100")
    assert check() == IdentityChecked(NUMERO, valid_until=VALID_UNTIL)


def confirm(session="s1", ip="ip1", has_proof=True):
    confirmation_attempt_record(session_key=session, client_ip=ip, has_proof=has_proof)


def test_every_confirmation_attempt_counts(settings):
    settings.BOOKING_CONFIRM_LIMITS = {"session": 2, "ip": 100, "no_proof_ip": 100}
    confirm()
    confirm()
    with pytest.raises(TooManyAttempts):
        confirm()
    confirm(session="s2")


def test_confirmation_without_proof_has_a_tighter_limit_per_ip(settings):
    settings.BOOKING_CONFIRM_LIMITS = {"session": 100, "ip": 100, "no_proof_ip": 1}
    confirm(session="a", has_proof=False)
    with pytest.raises(TooManyAttempts):
        confirm(session="b", has_proof=False)
    confirm(session="c", has_proof=True)  # with a proof, the IP may go on


def test_confirmation_attempts_are_not_limited_when_antibot_is_off(settings):
    settings.ANTIBOT = False
    settings.BOOKING_CONFIRM_LIMITS = {"session": 1, "ip": 1, "no_proof_ip": 1}
    for _ in range(3):
        confirm(has_proof=False)


def new_code(booking) -> str:
    assert manage_code_issue(booking=booking, now=timezone.now())
    sms = booking.messages.filter(kind=OutgoingMessage.Kind.BOOKING_MANAGE_CODE)
    return sms.order_by("-pk").first().body.split("code ")[1][:6]


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_second_factor_accepts_the_last_code_once():
    booking = BookingFactory(numero_etranger=NUMERO)
    with pytest.raises(SecondFactorMismatch):  # no code asked yet
        second_factor_check(booking=booking, code="6503", client_ip="ip1")
    first = new_code(booking)
    code = new_code(booking)  # replaces the first
    with pytest.raises(SecondFactorMismatch):
        second_factor_check(booking=booking, code=other_than(code), client_ip="ip1")
    if first != code:
        with pytest.raises(SecondFactorMismatch):
            second_factor_check(booking=booking, code=first, client_ip="ip1")
    second_factor_check(booking=booking, code=f" {code} ", client_ip="ip1")
    with pytest.raises(SecondFactorMismatch):  # single use
        second_factor_check(booking=booking, code=code, client_ip="ip1")


def test_a_code_is_void_after_five_tries_but_the_holder_is_not_locked_out(settings):
    settings.ANTIBOT = False
    booking = BookingFactory(numero_etranger=NUMERO)
    code = new_code(booking)
    for ip in ("a", "b", "c", "d", "e"):
        with pytest.raises(SecondFactorMismatch):
            second_factor_check(booking=booking, code=other_than(code), client_ip=ip)
    with pytest.raises(SecondFactorMismatch):  # the code is void
        second_factor_check(booking=booking, code=code, client_ip="f")
    # No per-appointment lock: a new code passes, even from an IP that failed.
    second_factor_check(booking=booking, code=new_code(booking), client_ip="a")


def test_second_factor_is_limited_per_ip_and_appointment(settings):
    settings.BOOKING_MANAGE_CODES_PER_DAY = 100
    booking = BookingFactory(numero_etranger=NUMERO)
    for _ in range(5):
        with pytest.raises(SecondFactorMismatch):
            second_factor_check(
                booking=booking, code=other_than(new_code(booking)), client_ip="ip1"
            )
    code = new_code(booking)
    with pytest.raises(TooManyAttempts):
        second_factor_check(booking=booking, code=code, client_ip="ip1")
    second_factor_check(booking=booking, code=code, client_ip="ip2")


def test_second_factor_is_limited_per_ip_across_bookings(settings):
    settings.BOOKING_MANAGE_CODES_PER_DAY = 100
    for n in range(30):
        booking = BookingFactory(numero_etranger=f"45000000{n:02d}")
        with pytest.raises(SecondFactorMismatch):
            second_factor_check(booking=booking, code="999999", client_ip="ip1")
    booking = BookingFactory(numero_etranger=NUMERO)
    code = new_code(booking)
    with pytest.raises(TooManyAttempts):
        second_factor_check(booking=booking, code=code, client_ip="ip1")
    second_factor_check(booking=booking, code=code, client_ip="ip2")


def test_codes_per_booking_and_day_are_capped(settings):
    settings.BOOKING_MANAGE_CODES_PER_DAY = 2
    booking = BookingFactory(numero_etranger=NUMERO)
    new_code(booking)
    new_code(booking)
    assert not manage_code_issue(booking=booking, now=timezone.now())
    assert booking.messages.count() == 2
