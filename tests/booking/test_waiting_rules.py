"""The waiting list's rules, without a database: the order of urgency, which places
fit a request (site, half-days in Paris time across the DST changes, weekends), the
offer's answer window, and the share of a batch kept for the list."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking import rules
from tests.clock import PARIS

NO_QUIET = {"quiet_from": time(0, 0), "quiet_until": time(0, 0), "tz": PARIS}
QUIET = {"quiet_from": time(20, 0), "quiet_until": time(8, 0), "tz": PARIS}
WINDOW = {
    "min_notice": timedelta(hours=2),
    "offer_hours": 24,
    "min_answer": timedelta(minutes=60),
}


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def bit(code: str) -> int:
    return 1 << rules.HALF_DAY_CODES.index(code)


# --- the order of urgency ---------------------------------------------------------


JOINED = paris(2026, 5, 4, 10)


def key(priority=0, title=date(2027, 1, 1), joined=JOINED, pk=1):
    return rules.urgency_key(
        priority=priority, title_valid_until=title, joined_at=joined, pk=pk
    )


def test_priority_beats_an_earlier_title_expiry_and_an_earlier_joining():
    urgent = key(priority=2, title=date(2030, 1, 1), joined=paris(2026, 6, 1, 9))
    high = key(priority=1, title=date(2029, 1, 1), joined=paris(2026, 5, 1, 9))
    plain = key(priority=0, title=date(2026, 7, 1), joined=paris(2026, 1, 1, 9))
    assert sorted([plain, high, urgent]) == [urgent, high, plain]


def test_at_equal_priority_the_title_that_expires_first_goes_first():
    later = key(title=date(2027, 3, 1), joined=paris(2026, 1, 1, 9))
    sooner = key(title=date(2027, 2, 28), joined=paris(2026, 6, 1, 9))
    assert sorted([later, sooner]) == [sooner, later]


def test_at_equal_priority_and_expiry_the_first_to_join_goes_first():
    # Joined across the autumn DST change: 02:30 CEST comes before 02:10 CET.
    first = key(joined=datetime(2026, 10, 25, 0, 30, tzinfo=UTC), pk=9)
    second = key(joined=datetime(2026, 10, 25, 1, 10, tzinfo=UTC), pk=1)
    assert first[2].astimezone(PARIS).hour == 2 == second[2].astimezone(PARIS).hour
    assert sorted([second, first]) == [first, second]


requests = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 2]),
        st.dates(date(2026, 1, 1), date(2030, 12, 31)),
        st.datetimes(
            datetime(2026, 1, 1), datetime(2027, 1, 1), timezones=st.just(PARIS)
        ),
    ),
    min_size=2,
    max_size=30,
)


@given(requests)
def test_urgency_is_priority_then_title_expiry_then_joining_whatever_the_mix(rows):
    keys = sorted(
        rules.urgency_key(priority=p, title_valid_until=t, joined_at=j, pk=i)
        for i, (p, t, j) in enumerate(rows)
    )
    for a, b in pairwise(keys):
        pa, pb = -a[0], -b[0]
        assert pa >= pb
        if pa == pb:
            assert a[1] <= b[1]
            if a[1] == b[1]:
                assert a[2] <= b[2]
                if a[2] == b[2]:
                    assert a[3] < b[3]  # a total order: ties broken by id


# --- which places fit a request ---------------------------------------------------


@pytest.mark.parametrize(
    ("local", "code"),
    [
        # 11:30 is a morning on both sides of the spring change (29 March 2026)...
        (paris(2026, 3, 27, 11, 30), "fri-am"),  # 10:30 UTC (CET)
        (paris(2026, 3, 30, 11, 30), "mon-am"),  # 09:30 UTC (CEST)
        # ...and of the autumn change (25 October 2026).
        (paris(2026, 10, 23, 11, 30), "fri-am"),  # 09:30 UTC (CEST)
        (paris(2026, 10, 26, 11, 30), "mon-am"),  # 10:30 UTC (CET)
        # Noon is the afternoon, whatever UTC says (10:00 UTC in summer).
        (paris(2026, 3, 30, 12, 0), "mon-pm"),
        (paris(2026, 10, 26, 12, 0), "mon-pm"),
        (paris(2026, 3, 30, 11, 59, 59), "mon-am"),
    ],
)
def test_a_slots_half_day_is_read_in_paris_time(local, code):
    in_utc = local.astimezone(UTC)
    assert rules.half_day_bit(in_utc, tz=PARIS) == bit(code)
    assert rules.half_day_bit(local, tz=PARIS) == bit(code)


@given(
    st.datetimes(datetime(2024, 1, 1), datetime(2032, 12, 31), timezones=st.just(PARIS))
)
def test_every_weekday_moment_has_one_half_day_and_weekends_none(local):
    moment = local.astimezone(UTC)  # as the database gives it back
    found = rules.half_day_bit(moment, tz=PARIS)
    wall = moment.astimezone(PARIS)
    if wall.weekday() > 4:
        assert found == 0
    else:
        part = "pm" if wall.time() >= time(12, 0) else "am"
        day = ("mon", "tue", "wed", "thu", "fri")[wall.weekday()]
        assert found == bit(f"{day}-{part}")
        assert rules.half_days_codes(found) == [f"{day}-{part}"]


def test_a_weekend_slot_fits_whatever_half_days_are_excluded():
    saturday = paris(2026, 5, 9, 9, 0)
    assert rules.is_waiting_compatible(
        site_id=1,
        starts_at=saturday,
        sites={1},
        unavailable=rules.ALL_HALF_DAYS,
        before=None,
        tz=PARIS,
    )


def fits(starts_at, *, site_id=1, sites=frozenset({1, 2}), unavailable=0, before=None):
    return rules.is_waiting_compatible(
        site_id=site_id,
        starts_at=starts_at,
        sites=sites,
        unavailable=unavailable,
        before=before,
        tz=PARIS,
    )


def test_a_place_fits_only_at_a_chosen_site_and_outside_the_excluded_half_days():
    monday_morning = paris(2026, 3, 30, 11, 30)
    assert fits(monday_morning)
    assert not fits(monday_morning, site_id=3)
    assert not fits(monday_morning, unavailable=bit("mon-am"))
    assert fits(monday_morning, unavailable=bit("mon-pm") | bit("tue-am"))
    # An earlier place only: not the appointment's own time, nor later.
    assert fits(monday_morning, before=monday_morning + timedelta(minutes=1))
    assert not fits(monday_morning, before=monday_morning)


@given(
    st.datetimes(datetime(2026, 1, 1), datetime(2028, 1, 1), timezones=st.just(PARIS)),
    st.integers(0, rules.ALL_HALF_DAYS),
    st.frozensets(st.integers(1, 4), min_size=1),
    st.integers(1, 4),
)
def test_compatibility_is_exactly_site_and_half_day(local, unavailable, sites, site):
    expected = site in sites and not (unavailable & rules.half_day_bit(local, tz=PARIS))
    assert (
        fits(local.astimezone(UTC), site_id=site, sites=sites, unavailable=unavailable)
        is expected
    )


def test_half_day_codes_round_trip_and_unknown_codes_are_ignored():
    codes = ["mon-am", "wed-pm", "fri-pm"]
    mask = rules.half_days_mask([*codes, "sat-am", "", "mon-am"])
    assert rules.half_days_codes(mask) == codes
    assert rules.half_days_mask(rules.HALF_DAY_CODES) == rules.ALL_HALF_DAYS == 1023


# --- the offer's answer window ----------------------------------------------------


def deadline(now, starts_at, quiet=NO_QUIET, **window):
    return rules.decide_offer_deadline(
        now=now, starts_at=starts_at, **{**WINDOW, **window}, **quiet
    )


def test_an_offer_can_be_answered_for_offer_hours():
    now = paris(2026, 5, 4, 10, 0)
    assert deadline(now, now + timedelta(days=10)) == now + timedelta(hours=24)


def test_an_offer_made_in_the_quiet_hours_counts_from_their_end():
    late = paris(2026, 5, 4, 22, 30)
    assert deadline(late, late + timedelta(days=10), QUIET) == paris(2026, 5, 6, 8, 0)
    small_hours = paris(2026, 5, 5, 3, 0)
    assert deadline(small_hours, small_hours + timedelta(days=10), QUIET) == paris(
        2026, 5, 6, 8, 0
    )
    # Outside the quiet hours, the window starts at once.
    day = paris(2026, 5, 4, 19, 59)
    assert deadline(day, day + timedelta(days=10), QUIET) == day + timedelta(hours=24)


@pytest.mark.parametrize(
    ("night", "morning"),
    [
        # Spring: the night loses an hour; the window still opens at 08:00 local.
        (paris(2026, 3, 28, 23, 0), paris(2026, 3, 29, 8, 0)),
        # Autumn: the night gains one.
        (paris(2026, 10, 24, 23, 0), paris(2026, 10, 25, 8, 0)),
    ],
)
def test_the_quiet_hours_end_at_eight_paris_time_across_a_dst_change(night, morning):
    found = deadline(night, night + timedelta(days=10), QUIET)
    assert found == morning + timedelta(hours=24)
    # 24 hours of real time, whatever the clocks did.
    assert found.astimezone(UTC) - morning.astimezone(UTC) == timedelta(hours=24)
    assert morning.astimezone(PARIS).hour == 8


def test_the_window_never_runs_past_the_slots_minimum_notice():
    now = paris(2026, 5, 4, 10, 0)
    starts_at = now + timedelta(hours=10)
    assert deadline(now, starts_at) == starts_at - timedelta(hours=2)


def test_no_offer_when_less_than_the_minimum_answer_time_is_left():
    now = paris(2026, 5, 4, 10, 0)
    # Exactly the minimum: offered; a second less: not.
    assert deadline(now, now + timedelta(hours=3)) == now + timedelta(hours=1)
    assert deadline(now, now + timedelta(hours=3, seconds=-1)) is None
    # At night the minimum counts from the quiet hours' end: a slot at 10:30 the
    # next morning leaves 30 minutes after 08:00.
    night = paris(2026, 5, 4, 23, 0)
    assert deadline(night, paris(2026, 5, 5, 10, 30), QUIET) is None
    assert deadline(night, paris(2026, 5, 5, 11, 0), QUIET) == paris(2026, 5, 5, 9, 0)


@given(
    st.datetimes(
        datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(PARIS)
    ),
    st.timedeltas(timedelta(minutes=1), timedelta(days=30)),
    st.integers(1, 72),
    st.integers(0, 48),
    st.integers(0, 240),
)
def test_the_deadline_is_the_earlier_bound_of_the_window_or_none(
    now, ahead, hours, notice, answer
):
    starts_at = now + ahead
    found = deadline(
        now,
        starts_at,
        QUIET,
        offer_hours=hours,
        min_notice=timedelta(hours=notice),
        min_answer=timedelta(minutes=answer),
    )
    opens = rules.next_sending_time(now, **QUIET)
    assert opens >= now
    local = opens.astimezone(PARIS).time()
    assert not (local >= time(20, 0) or local < time(8, 0))  # an SMS may go then
    latest = min(opens + timedelta(hours=hours), starts_at - timedelta(hours=notice))
    if latest - opens < timedelta(minutes=answer):
        assert found is None
    else:
        assert found == latest
        assert found <= starts_at - timedelta(hours=notice)
        assert found - opens >= timedelta(minutes=answer)


# --- the share of a batch kept for the list (mixte) -------------------------------


@pytest.mark.parametrize(
    ("count", "percent", "expected"),
    [
        (10, 0, set()),
        (10, 100, set(range(10))),
        (10, 30, {0, 3, 6}),
        (10, 25, {0, 3, 6}),  # 2.5 places: 3
        (4, 50, {0, 2}),
        (3, 1, {0}),  # 1 % of 3 still keeps one
        (0, 50, set()),
        (7, 150, set(range(7))),
        (7, -5, set()),
    ],
)
def test_list_share_examples(count, percent, expected):
    assert rules.list_share_indices(count, percent) == expected


@given(st.integers(0, 500), st.integers(0, 100))
def test_the_share_is_rounded_up_and_spread_evenly(count, percent):
    found = sorted(rules.list_share_indices(count, percent))
    exact = count * percent / 100
    assert len(found) == -(-count * percent // 100)
    assert exact <= len(found) < exact + 1
    assert all(0 <= i < count for i in found)
    if found:
        assert found[0] == 0
        gaps = {b - a for a, b in pairwise([*found, found[0] + count])}
        # Every gap is the batch over the share, rounded down or up: no clumps.
        assert gaps <= {count // len(found), -(-count // len(found))}
