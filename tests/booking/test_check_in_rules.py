"""When an agent may record present or absent, and undo it (Paris time, across
midnight and the changes of time)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.rules import (
    CheckInKind,
    is_agent_cancel_allowed,
    is_check_in_allowed,
    is_check_in_undo_allowed,
)

PARIS = ZoneInfo("Europe/Paris")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def allowed(kind, starts_at, now, minutes=30):
    return is_check_in_allowed(
        kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        now=now,
        tz=PARIS,
    )


MONDAY_9 = paris(2026, 11, 30, 9, 0)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(2026, 11, 29, 12, 0), False),  # the Sunday before
        (paris(2026, 11, 29, 23, 59, 59), False),
        (paris(2026, 11, 30, 0, 0), True),  # Monday 00:00 Paris is Sunday 23:00 UTC
        (utc(2026, 11, 29, 23, 0), True),
        (utc(2026, 11, 29, 22, 59), False),
        (paris(2026, 11, 30, 8, 0), True),  # the day, before the time
        (paris(2026, 12, 2, 10, 0), True),  # days later (a forgotten entry)
    ],
)
def test_present_from_the_appointments_day_in_paris(now, expected):
    assert allowed(CheckInKind.PRESENT, MONDAY_9, now) is expected


def test_present_follows_paris_across_midnight_utc():
    # 00:30 in Paris is still the day before in UTC.
    starts_at = paris(2026, 11, 30, 0, 30)
    assert allowed(CheckInKind.PRESENT, starts_at, utc(2026, 11, 29, 23, 15))
    assert not allowed(CheckInKind.PRESENT, starts_at, utc(2026, 11, 29, 22, 45))


@pytest.mark.parametrize(
    ("starts_at", "last_refused", "first_allowed"),
    [
        # Spring forward (29 March 2026): Paris is UTC+2 from 02:00.
        (paris(2026, 3, 30, 9, 0), utc(2026, 3, 29, 21, 59), utc(2026, 3, 29, 22, 0)),
        # The day of the change itself: midnight is still UTC+1.
        (paris(2026, 3, 29, 9, 0), utc(2026, 3, 28, 22, 59), utc(2026, 3, 28, 23, 0)),
        # Fall back (25 October 2026): Paris is UTC+1 from 03:00.
        (
            paris(2026, 10, 26, 9, 0),
            utc(2026, 10, 25, 22, 59),
            utc(2026, 10, 25, 23, 0),
        ),
        (
            paris(2026, 10, 25, 9, 0),
            utc(2026, 10, 24, 21, 59),
            utc(2026, 10, 24, 22, 0),
        ),
    ],
)
def test_present_at_paris_midnight_across_the_changes_of_time(
    starts_at, last_refused, first_allowed
):
    assert not allowed(CheckInKind.PRESENT, starts_at, last_refused)
    assert allowed(CheckInKind.PRESENT, starts_at, first_allowed)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(2026, 11, 29, 23, 0), False),  # the Sunday before
        (paris(2026, 11, 30, 9, 0), False),  # it has just begun
        (paris(2026, 11, 30, 9, 29, 59), False),
        (paris(2026, 11, 30, 9, 30), True),  # ended
        (paris(2026, 12, 1, 8, 0), True),
    ],
)
def test_no_show_only_once_the_appointment_has_ended(now, expected):
    assert allowed(CheckInKind.NO_SHOW, MONDAY_9, now) is expected
    assert allowed("no_show", MONDAY_9, now) is expected


def test_no_show_across_the_autumn_change_of_time():
    # 02:30 happens twice on 25 October 2026; the end is an instant all the same.
    starts_at = utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    ends_at = utc(2026, 10, 25, 1, 0)  # 02:00 CET, after the change
    check = {"starts_at": starts_at, "ends_at": ends_at, "tz": PARIS}
    assert not is_check_in_allowed(
        CheckInKind.NO_SHOW, now=utc(2026, 10, 25, 0, 59), **check
    )
    assert is_check_in_allowed(
        CheckInKind.NO_SHOW, now=utc(2026, 10, 25, 1, 0), **check
    )


@pytest.mark.parametrize(
    ("recorded_at", "now", "expected"),
    [
        (paris(2026, 11, 30, 9, 5), paris(2026, 11, 30, 17, 0), True),
        (paris(2026, 11, 30, 23, 50), paris(2026, 12, 1, 0, 10), False),
        # 23:30 UTC on the 29th is the 30th in Paris: the same day as 08:00 there.
        (utc(2026, 11, 29, 23, 30), paris(2026, 11, 30, 8, 0), True),
        (utc(2026, 11, 29, 22, 30), paris(2026, 11, 30, 8, 0), False),
        # The spring change of time: 22:30 UTC on the 28th is 23:30 CET on the 28th.
        (utc(2026, 3, 28, 22, 30), utc(2026, 3, 29, 21, 30), False),
        (utc(2026, 3, 28, 23, 30), utc(2026, 3, 29, 21, 30), True),
        (paris(2026, 11, 30, 9, 5), paris(2026, 12, 7, 9, 5), False),
    ],
)
def test_undo_only_the_day_it_was_recorded_in_paris(recorded_at, now, expected):
    assert (
        is_check_in_undo_allowed(recorded_at=recorded_at, now=now, tz=PARIS) is expected
    )


def test_an_agent_cancels_until_the_appointment_starts():
    starts = datetime(2027, 3, 28, 9, 0, tzinfo=PARIS)
    assert is_agent_cancel_allowed(starts_at=starts, now=starts - timedelta(seconds=1))
    assert not is_agent_cancel_allowed(starts_at=starts, now=starts)
