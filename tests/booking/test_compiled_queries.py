"""The booking's queries compiled once per process (prefecture.compiled_sql) send
what the ORM would send for the same values, whatever the values."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from booking import selectors
from booking.services import locks

pytestmark = pytest.mark.django_db


def _fresh(build, **values) -> tuple[str, tuple]:
    sql, params = build(**values).query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


@pytest.mark.parametrize(
    ("now", "hold_token", "numero", "mobile"),
    [
        # The days the clocks go forward and back in Paris: 23 and 25 hours long.
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "", "2008006503", "+33612345678"),
        (datetime(2026, 10, 25, 10, 5, tzinfo=UTC), "tok-en", "99'; --", "+3375"),
    ],
)
def test_the_booking_checks(now, hold_token, numero, mobile):
    day_start, day_end = selectors._today(now)
    values = {
        "slot_id": 7,
        "now": now,
        "numero_etranger": numero,
        "mobile": mobile,
        "hold_token": hold_token,
        "day_start": day_start,
        "day_end": day_end,
    }
    statement = selectors.booking_checks_statement(
        slot_id=7, now=now, numero_etranger=numero, mobile=mobile, hold_token=hold_token
    )
    assert (statement.sql, statement.params) == _fresh(
        selectors._booking_checks, **values
    )
    hours = (day_end.astimezone(UTC) - day_start.astimezone(UTC)).total_seconds() / 3600
    assert hours in (23, 25)


@pytest.mark.parametrize(("slot_id", "procedure_id"), [(1, 2), (2**31 - 1, 40)])
def test_the_bookable_slot(slot_id, procedure_id):
    statement = locks._BOOKABLE_SLOT.statement(
        slot_id=slot_id, procedure_id=procedure_id
    )
    assert (statement.sql, statement.params) == _fresh(
        locks._bookable_slot, slot_id=slot_id, procedure_id=procedure_id
    )


@pytest.mark.parametrize("numero", ["2008006503", "99'; --", ""])
def test_the_live_waiting_token(numero):
    statement = selectors._WAITING_TOKEN_LIVE.statement(numero_etranger=numero)
    assert (statement.sql, statement.params) == _fresh(
        selectors._waiting_token_live, numero_etranger=numero
    )


@pytest.mark.parametrize(
    ("now", "token"),
    [
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), ""),
        (datetime(2026, 10, 25, 10, 5, tzinfo=UTC), "tok'; --"),
    ],
)
def test_the_open_slots_of_a_day(now, token):
    """The slot list's two queries (its days, then one day's slots), on the days the
    clocks change in Paris."""
    values = {
        "procedure_id": 3,
        "now": now,
        "starts_from": now + timedelta(hours=2),
        "starts_until": now + timedelta(days=90),
        "exclude_hold_token": token,
    }
    days = selectors._OPEN_DAYS.statement(**values)
    fresh = selectors._day_counts(
        selectors._open_slots(**values), timezone.get_default_timezone()
    )
    assert (days.sql, days.params) == _fresh(lambda: fresh)
    start, end = now, now + timedelta(hours=23)
    rows = selectors._OPEN_DAY_ROWS.statement(**values, day_start=start, day_end=end)
    assert (rows.sql, rows.params) == _fresh(
        lambda: selectors._day_rows(selectors._open_slots(**values), start, end)
    )


def test_whether_a_place_is_free_or_held():
    now = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    values = {
        "procedure_id": 3,
        "now": now,
        "starts_from": now + timedelta(hours=2),
        "starts_until": now + timedelta(days=90),
        "exclude_hold_token": "",
    }
    one_open = selectors._ONE_OPEN.statement(**values)
    assert (one_open.sql, one_open.params) == _fresh(
        lambda: selectors._open_slots(**values).order_by().values("pk")[:1]
    )
    held = {"procedure_id": 3, "starts_from": values["starts_from"], "now": now}
    one_held = selectors._ONE_HELD.statement(**held)
    assert (one_held.sql, one_held.params) == _fresh(selectors._one_held, **held)


def test_a_change_of_time_zone_compiles_them_again(settings):
    """The closures are matched on the slot's day in the préfecture's time zone,
    which the SQL holds as a constant."""
    paris = locks._BOOKABLE_SLOT.statement(slot_id=1, procedure_id=2)
    settings.TIME_ZONE = "America/Cayenne"
    cayenne = locks._BOOKABLE_SLOT.statement(slot_id=1, procedure_id=2)
    assert "Europe/Paris" in paris.params
    assert "America/Cayenne" in cayenne.params
    assert "Europe/Paris" not in cayenne.params
