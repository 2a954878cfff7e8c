"""Several writes in one statement (booking.services.one_statement): what the
confirm uses to write a booking's rows in one round trip while it holds the slot's
lock."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Now
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from simple_history.signals import (
    post_create_historical_record,
    pre_create_historical_record,
)

from booking.models import Booking, BookingEvent, Hold, OutgoingMessage, Slot
from booking.services.one_statement import (
    delete_rows,
    delete_statement,
    insert_rows,
    write_together,
)
from prefecture.compiled_sql import run_together
from tests.booking.flow import CONTACT, hold
from tests.factories import BookingFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _hold(slot: Slot, token: str, numero: str) -> Hold:
    return Hold.objects.create(
        slot=slot,
        token=token,
        numero_etranger=numero,
        expires_at=timezone.now() + timedelta(minutes=10),
    )


def _event(booking: Booking, kind=BookingEvent.Kind.CREATED) -> BookingEvent:
    return BookingEvent(booking=booking, kind=kind, actor="test", detail={"n": 1})


def _sms(booking: Booking, key: str) -> OutgoingMessage:
    return OutgoingMessage(
        idempotency_key=key,
        kind=OutgoingMessage.Kind.BOOKING_CONFIRMED,
        booking=booking,
        to=booking.mobile,
        body="Votre rendez-vous",
        send_after=timezone.now(),
    )


def test_inserts_and_a_delete_go_in_one_statement_and_the_ids_come_back(slot):
    booking = BookingFactory(slot=slot)
    _hold(slot, "t1", "1111111111")
    _hold(slot, "t2", "2222222222")
    messages = [_sms(booking, "k1"), _sms(booking, "k2")]
    events = [_event(booking), _event(booking, BookingEvent.Kind.CANCELLED)]
    with CaptureQueriesContext(connection) as queries:
        write_together(
            insert_rows(events),
            delete_rows(Hold.objects.filter(numero_etranger="1111111111")),
            insert_rows(messages, returning_ids=True),
        )
    assert len(queries) == 1
    assert queries[0]["sql"].startswith("WITH ")
    assert [m.pk for m in messages] == list(
        OutgoingMessage.objects.filter(idempotency_key__in=["k1", "k2"])
        .order_by("idempotency_key")
        .values_list("pk", flat=True)
    )
    assert not messages[0]._state.adding
    assert sorted(booking.events.values_list("kind", flat=True)) == sorted(
        [BookingEvent.Kind.CREATED, BookingEvent.Kind.CANCELLED]
    )
    assert set(Hold.objects.values_list("numero_etranger", flat=True)) == {"2222222222"}


def test_a_refused_write_leaves_none_of_them_written(slot):
    booking = BookingFactory(slot=slot)
    OutgoingMessage.objects.create(
        idempotency_key="taken",
        kind=OutgoingMessage.Kind.BOOKING_CONFIRMED,
        booking=booking,
        to=booking.mobile,
        body="x",
        send_after=timezone.now(),
    )
    _hold(slot, "t1", "1111111111")
    with pytest.raises(IntegrityError), transaction.atomic():
        write_together(
            insert_rows([_event(booking)]),
            delete_rows(Hold.objects.all()),
            insert_rows([_sms(booking, "taken")], returning_ids=True),
        )
    assert not booking.events.exists()
    assert Hold.objects.count() == 1


def test_rows_built_from_a_row_see_what_its_insert_writes(slot):
    """auto_now fields are set when the insert is named, so a history row built
    from the instance afterwards carries them."""
    event = _event(BookingFactory(slot=slot))
    assert event.at is None
    write_together(insert_rows([event]))
    assert event.at is not None
    assert BookingEvent.objects.get().at == event.at


def test_every_value_reads_back_as_bulk_create_writes_it(slot):
    """The INSERT is written by one_statement, its values prepared as Django's
    compiler prepares them: a row of each model the confirm writes (JSON, enums,
    aware datetimes, foreign keys, text with quotes and line breaks) reads back the
    same as one bulk_create wrote."""
    booking = BookingFactory(slot=slot)
    detail = {"slot": slot.pk, "note": "l'usager\n« dit »", "list": [1, None]}
    ours = [
        BookingEvent(booking=booking, kind="created", actor="a'b", detail=detail),
        _sms(booking, "ours"),
    ]
    django = [
        BookingEvent(booking=booking, kind="created", actor="a'b", detail=detail),
        _sms(booking, "django"),
    ]
    ours[1].send_after = django[1].send_after  # the same moment in both
    write_together(insert_rows(ours[:1]), insert_rows(ours[1:], returning_ids=True))
    BookingEvent.objects.bulk_create(django[:1])
    OutgoingMessage.objects.bulk_create(django[1:])

    def stored(model, pk, skip):
        row = model.objects.values().get(pk=pk)
        return {k: v for k, v in row.items() if k not in {"id", *skip}}

    [ours_event, django_event] = BookingEvent.objects.order_by("pk")
    assert stored(BookingEvent, ours_event.pk, {"at"}) == stored(
        BookingEvent, django_event.pk, {"at"}
    )
    assert ours_event.detail == detail
    assert stored(
        OutgoingMessage, ours[1].pk, {"idempotency_key", "created_at", "updated_at"}
    ) == stored(
        OutgoingMessage, django[1].pk, {"idempotency_key", "created_at", "updated_at"}
    )


def test_an_expression_as_a_value_is_written_by_djangos_compiler(slot):
    """Now() (or a database default) is SQL, not a value to send as a parameter."""
    booking = BookingFactory(slot=slot)
    message = _sms(booking, "now")
    message.send_after = Now()
    before = timezone.now()
    write_together(insert_rows([message], returning_ids=True))
    stored = OutgoingMessage.objects.get(pk=message.pk).send_after
    assert before - timedelta(seconds=5) <= stored <= timezone.now()


def test_several_rows_of_one_model_in_one_insert_keep_their_order(slot):
    booking = BookingFactory(slot=slot)
    messages = [_sms(booking, f"k{i}") for i in range(3)]
    write_together(insert_rows(messages, returning_ids=True))
    assert [OutgoingMessage.objects.get(pk=m.pk).idempotency_key for m in messages] == [
        "k0",
        "k1",
        "k2",
    ]


def test_writes_the_same_one_by_one_on_other_databases(slot, monkeypatch):
    """SQLite (`make run`): no data-modifying CTEs there; the writes go in order."""
    booking = BookingFactory(slot=slot)
    _hold(slot, "t1", "1111111111")
    message = _sms(booking, "k1")
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with CaptureQueriesContext(connection) as queries:
        write_together(
            insert_rows([_event(booking)]),
            delete_rows(Hold.objects.all()),
            insert_rows([message], returning_ids=True),
        )
    assert len(queries) == 3
    assert message.pk == OutgoingMessage.objects.get(idempotency_key="k1").pk
    assert booking.events.count() == 1
    assert not Hold.objects.exists()


def test_a_delete_that_needs_the_orm_is_refused(slot):
    # A slot's delete cascades to its bookings and sends signals.
    with pytest.raises(ValueError, match="Slot"):
        delete_rows(Slot.objects.all())


def test_a_delete_sent_with_other_statements_says_how_many_it_deleted(slot):
    for token, numero in [
        ("a", "1111111111"),
        ("b", "3333333333"),
        ("c", "2222222222"),
    ]:
        _hold(slot, token, numero)
    mine = Hold.objects.exclude(numero_etranger="2222222222")
    assert run_together([delete_statement(mine), delete_statement(mine)]) == [2, 0]
    assert list(Hold.objects.values_list("token", flat=True)) == ["c"]
    with pytest.raises(ValueError, match="Slot"):
        delete_statement(Slot.objects.all())


def test_more_than_one_insert_returning_ids_is_refused(slot):
    booking = BookingFactory(slot=slot)
    with pytest.raises(ValueError):
        write_together(
            insert_rows([_sms(booking, "a")], returning_ids=True),
            insert_rows([_sms(booking, "b")], returning_ids=True),
        )


def test_booking_post_save_receivers_are_the_ones_the_confirm_does_itself():
    """The confirm inserts its booking without save(): it writes the history row
    django-simple-history's receiver would and calls availability.changed() as
    booking.signals does. A new receiver must be added there too: this fails."""
    receivers = {
        f"{r.__module__}.{r.__qualname__}"
        for r in post_save._live_receivers(Booking)[0]
    }
    assert receivers == {
        "simple_history.models.HistoricalRecords.post_save",
        "booking.signals.free_places_changed",
    }
    history = Booking.history.model  # type: ignore[attr-defined]
    assert not pre_create_historical_record._live_receivers(history)[0]
    assert not post_create_historical_record._live_receivers(history)[0]


def test_the_confirms_history_row_is_the_one_save_would_write(
    client, renewal, slot, title
):
    hold(client, renewal, slot)
    response = client.post("/rendez-vous/coordonnees/", CONTACT)
    assert response["Location"] == "/rendez-vous/confirme/"
    booking = Booking.objects.get()
    saved = BookingFactory.build(slot=slot, numero_etranger="3333333333")
    saved.save()  # the ORM's way, for comparison
    [record] = booking.history.all()
    [expected] = saved.history.all()
    assert record.history_type == expected.history_type == "+"
    assert record.history_user is None and expected.history_user is None
    assert record.history_change_reason == expected.history_change_reason
    tracked = [f.attname for f in type(record).tracked_fields]
    assert {name: getattr(record, name) for name in tracked} == {
        name: getattr(booking, name) for name in tracked
    }
    assert booking.events.get().kind == BookingEvent.Kind.CREATED
    assert not Hold.objects.exists()
