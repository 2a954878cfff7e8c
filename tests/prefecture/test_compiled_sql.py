"""Queries compiled once per process: the same SQL and parameters as the ORM would
send for every value, refused when the SQL cannot be reused; statements sent
together in one round trip, each reading what the one before it waited for."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction

from booking.models import Booking, Slot
from prefecture.compiled_sql import (
    CompiledQuery,
    NotCompilable,
    Statement,
    run_together,
)
from tests.factories import BookingFactory, SlotFactory


def _slots(*, site_id: int, after: datetime, label: str):
    return (
        Slot.objects.filter(site_id=site_id, starts_at__gt=after, site__name=label)
        .order_by("starts_at")
        .values("pk", "capacity")
    )


SLOTS = CompiledQuery(_slots, site_id=int, after=datetime, label=str)


def _fresh(build, **values) -> tuple[str, tuple]:
    sql, params = build(**values).query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        {"site_id": 1, "after": datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "label": ""},
        {
            "site_id": 2**31 - 1,
            "after": datetime(2030, 1, 1, tzinfo=UTC),
            "label": "a'%s",
        },
    ],
)
def test_a_compiled_query_sends_what_the_orm_would(values):
    statement = SLOTS.statement(**values)
    assert (statement.sql, statement.params) == _fresh(_slots, **values)


@pytest.mark.django_db
def test_its_rows_come_back_as_the_orm_gives_them():
    slot = SlotFactory(capacity=3)
    values = {
        "site_id": slot.site_id,
        "after": slot.starts_at - timedelta(days=1),
        "label": slot.site.name,
    }
    [rows] = run_together([SLOTS.statement(**values)])
    assert rows == list(_slots(**values))
    assert rows == [{"pk": slot.pk, "capacity": 3}]


def test_a_value_of_another_type_is_refused():
    with pytest.raises(TypeError, match="site_id must be a int"):
        SLOTS.statement(site_id="1", after=datetime.now(UTC), label="")
    with pytest.raises(TypeError, match="site_id must be a int"):
        SLOTS.statement(site_id=True, after=datetime.now(UTC), label="")
    query = CompiledQuery(
        lambda *, day: Slot.objects.filter(starts_at__date=day), day=date
    )
    with pytest.raises(TypeError, match="day must be a date"):
        query.statement(day=datetime.now(UTC))
    with pytest.raises(TypeError, match="after must be an aware datetime"):
        SLOTS.statement(site_id=1, after=datetime(2026, 11, 30, 12), label="")
    with pytest.raises(TypeError, match="values"):
        SLOTS.statement(site_id=1, after=datetime.now(UTC))


@pytest.mark.django_db
def test_a_value_computed_inside_the_build_is_refused():
    """The SQL would hold the stand-in's day before, not the caller's."""
    query = CompiledQuery(
        lambda *, after: Slot.objects.filter(starts_at__gt=after - timedelta(days=1)),
        after=datetime,
    )
    with pytest.raises(NotCompilable, match="computed from a value"):
        query.statement(after=datetime.now(UTC))


@pytest.mark.django_db
def test_a_value_missing_from_the_sql_is_refused():
    query = CompiledQuery(lambda *, site_id: Slot.objects.all(), site_id=int)
    with pytest.raises(NotCompilable, match=r"\['site_id'\]"):
        query.statement(site_id=1)


@pytest.mark.django_db
def test_sql_that_changes_with_the_values_is_refused():
    query = CompiledQuery(
        lambda *, n: Slot.objects.filter(pk__in=range(n % 7 + 1)).filter(capacity=n),
        n=int,
    )
    with pytest.raises(NotCompilable, match="depends on its values"):
        query.statement(n=1)


def test_run_together_reads_each_statement_in_order(db):
    first = Statement("SELECT %s::int", (1,), lambda rows: rows)
    empty = Statement("SELECT 1 WHERE %s", (False,), lambda rows: rows)
    last = Statement("SELECT %s::text", ("50 %",), lambda rows: rows[0][0])
    assert run_together([first, empty, last]) == [[(1,)], [], "50 %"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_statement_reads_what_the_one_before_waited_for():
    """The count sent with the lock sees the booking committed while the lock was
    waited for: each statement of one message has its own snapshot."""
    slot = SlotFactory(capacity=5)
    locked, go = threading.Event(), threading.Event()

    def book_under_the_lock():
        try:
            with transaction.atomic():
                Slot.objects.select_for_update().get(pk=slot.pk)
                BookingFactory(slot=slot, procedure=slot.procedure)
                locked.set()
                go.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=book_under_the_lock)
    other.start()
    assert locked.wait(10)
    lock = Statement(
        "SELECT id FROM booking_slot WHERE id = %s FOR UPDATE", (slot.pk,), len
    )
    count = Statement(
        "SELECT count(*) FROM booking_booking WHERE slot_id = %s",
        (slot.pk,),
        lambda rows: rows[0][0],
    )
    threading.Timer(0.3, go.set).start()  # the other commits while we wait
    with transaction.atomic():
        assert run_together([lock, count]) == [1, 1]
    other.join(10)
    assert Booking.objects.filter(slot=slot).count() == 1
