"""The services enforce when present and absent may be recorded, undo a same-day
mistake (audited), and carry an agent's message in the cancellation SMS."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from booking import services
from booking.errors import CheckInTooEarly, CheckInUndoRefused, NotCancellable
from booking.models import Booking, BookingEvent
from booking.sms.gsm7 import SEGMENT_SEPTETS, septets
from tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def monday_booking():
    return BookingFactory(slot=SlotFactory(starts_at=MONDAY_9))


def check_in(booking, *, present, now):
    return services.booking_check_in(
        booking_id=booking.pk, by="agent.accueil", present=present, now=now
    )


def test_present_and_absent_on_the_sunday_before_are_refused(monday_booking):
    sunday = paris(2026, 11, 29, 18, 0)
    with pytest.raises(CheckInTooEarly) as refused:
        check_in(monday_booking, present=True, now=sunday)
    assert "jour du rendez-vous" in refused.value.reason
    with pytest.raises(CheckInTooEarly) as refused:
        check_in(monday_booking, present=False, now=sunday)
    assert "09:30" in refused.value.reason
    monday_booking.refresh_from_db()
    assert monday_booking.status == Booking.Status.CONFIRMED
    assert not monday_booking.events.exists()


def test_absent_refused_during_the_appointment_then_recorded_once_ended(
    monday_booking,
):
    with pytest.raises(CheckInTooEarly):
        check_in(monday_booking, present=False, now=paris(2026, 11, 30, 9, 10))
    check_in(monday_booking, present=False, now=paris(2026, 11, 30, 9, 30))
    monday_booking.refresh_from_db()
    assert monday_booking.status == Booking.Status.NO_SHOW


def test_present_from_the_day_at_paris_midnight(monday_booking):
    check_in(monday_booking, present=True, now=paris(2026, 11, 30, 0, 0))
    monday_booking.refresh_from_db()
    assert monday_booking.status == Booking.Status.HONOURED


def test_cancelled_stays_refused(monday_booking):
    Booking.objects.filter(pk=monday_booking.pk).update(status=Booking.Status.CANCELLED)
    with pytest.raises(NotCancellable):
        check_in(monday_booking, present=True, now=paris(2026, 11, 30, 9, 0))


def record(booking, *, present, at):
    check_in(booking, present=present, now=at)
    # The event's time is the database's clock: put it where the test says.
    booking.events.update(at=at)


@pytest.mark.parametrize("present", [True, False])
def test_undo_the_same_day_puts_it_back_to_confirmed_and_is_audited(
    monday_booking, present
):
    record(monday_booking, present=present, at=paris(2026, 11, 30, 9, 45))
    services.booking_check_in_undo(
        booking_id=monday_booking.pk, by="cheffe", now=paris(2026, 11, 30, 23, 59)
    )
    monday_booking.refresh_from_db()
    assert monday_booking.status == Booking.Status.CONFIRMED
    undone = BookingEvent.Kind.HONOURED if present else BookingEvent.Kind.NO_SHOW
    assert list(
        monday_booking.events.order_by("pk").values_list("kind", "actor", "detail")
    ) == [
        (undone, "agent.accueil", {}),
        (undone, "cheffe", {"undo": True, "status": "confirmed"}),
    ]
    # And it can be recorded again (the right way this time).
    check_in(monday_booking, present=not present, now=paris(2026, 11, 30, 23, 59))


def test_undo_refused_another_day(monday_booking):
    record(monday_booking, present=True, at=paris(2026, 11, 30, 23, 50))
    with pytest.raises(CheckInUndoRefused) as refused:
        services.booking_check_in_undo(
            booking_id=monday_booking.pk, by="cheffe", now=paris(2026, 12, 1, 0, 5)
        )
    assert "le jour où elle a été faite" in refused.value.reason
    monday_booking.refresh_from_db()
    assert monday_booking.status == Booking.Status.HONOURED
    assert monday_booking.events.count() == 1


def test_undo_refused_when_nothing_was_recorded(monday_booking):
    with pytest.raises(CheckInUndoRefused):
        services.booking_check_in_undo(
            booking_id=monday_booking.pk, by="cheffe", now=paris(2026, 11, 30, 10, 0)
        )


def test_undo_is_once_per_entry(monday_booking):
    record(monday_booking, present=True, at=paris(2026, 11, 30, 9, 45))
    now = paris(2026, 11, 30, 10, 0)
    services.booking_check_in_undo(booking_id=monday_booking.pk, by="c", now=now)
    with pytest.raises(CheckInUndoRefused):
        services.booking_check_in_undo(booking_id=monday_booking.pk, by="c", now=now)


def test_the_agents_message_goes_in_the_cancellation_sms_when_it_fits(
    monday_booking,
):
    services.booking_cancel(
        booking_id=monday_booking.pk,
        now=paris(2026, 11, 29, 10, 0),
        by="agent.accueil",
        message="  Guichet fermé   (grève).\nMerci de reprendre RDV.",
    )
    body = monday_booking.messages.get().body
    assert body.endswith("annulé. Guichet fermé (grève). Merci de reprendre RDV.")
    assert septets(body) <= SEGMENT_SEPTETS
    assert monday_booking.events.get().detail == {
        "message": "Guichet fermé (grève). Merci de reprendre RDV."
    }


def test_a_message_too_long_never_makes_a_second_segment(monday_booking):
    room = services.bookings.cancel_message_room(monday_booking)
    assert 40 <= room < SEGMENT_SEPTETS
    services.booking_cancel(
        booking_id=monday_booking.pk,
        now=paris(2026, 11, 29, 10, 0),
        by="agent.accueil",
        message="x" * (room + 1),
    )
    body = monday_booking.messages.get().body
    assert "xxx" not in body and septets(body) <= SEGMENT_SEPTETS


def test_a_message_exactly_at_the_room_fits(monday_booking):
    room = services.bookings.cancel_message_room(monday_booking)
    services.booking_cancel(
        booking_id=monday_booking.pk,
        now=paris(2026, 11, 29, 10, 0),
        by="agent.accueil",
        message="x" * room,
    )
    assert septets(monday_booking.messages.get().body) == SEGMENT_SEPTETS


def test_the_applicant_cannot_slip_a_message_in(monday_booking):
    services.booking_cancel(
        booking_id=monday_booking.pk, now=paris(2026, 11, 27, 10, 0), message="hi"
    )
    assert "hi" not in monday_booking.messages.get().body
    assert monday_booking.events.get().detail == {}
