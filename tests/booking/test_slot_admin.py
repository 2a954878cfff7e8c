"""A slot typed by hand in the admin: never on a public holiday, never moved (time,
site, démarche) nor shrunk under the appointments already on it, whose applicants
would not be told."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from booking import rules
from booking.models import Booking, Slot
from tests.factories import BookingFactory, ProcedureFactory, SiteFactory, SlotFactory

pytestmark = pytest.mark.django_db


def _form(slot_site, procedure, day: date, start: str, end: str, capacity=1) -> dict:
    return {
        "site": slot_site.pk,
        "procedure": procedure.pk,
        "starts_at_0": day.strftime("%d/%m/%Y"),
        "starts_at_1": start,
        "ends_at_0": day.strftime("%d/%m/%Y"),
        "ends_at_1": end,
        "capacity": capacity,
        "published_at_0": timezone.localdate().strftime("%d/%m/%Y"),
        "published_at_1": "00:00:00",
    }


def _working_day(after_days: int) -> date:
    day = timezone.localdate() + timedelta(days=after_days)
    while day.weekday() >= 5 or rules.public_holiday_name(day):
        day += timedelta(days=1)
    return day


def test_no_slot_is_added_on_a_public_holiday(admin_client):
    site, procedure = SiteFactory(), ProcedureFactory()
    christmas = date(timezone.localdate().year + 1, 12, 25)
    response = admin_client.post(
        "/admin/booking/slot/add/",
        _form(site, procedure, christmas, "09:00:00", "09:30:00"),
    )
    assert response.status_code == 200
    assert "est un jour férié" in response.content.decode()
    assert not Slot.objects.exists()
    day = _working_day(3)
    response = admin_client.post(
        "/admin/booking/slot/add/", _form(site, procedure, day, "09:00:00", "09:30:00")
    )
    assert response.status_code == 302 and Slot.objects.count() == 1


def _booked_slot(capacity=2) -> tuple[Slot, Booking]:
    day = _working_day(5)
    starts = timezone.make_aware(datetime.combine(day, datetime.min.time())).replace(
        hour=9
    )
    slot = SlotFactory(starts_at=starts, ends_at=starts + timedelta(minutes=30))
    slot.capacity = capacity
    slot.save()
    return slot, BookingFactory(slot=slot, procedure=slot.procedure)


@pytest.mark.parametrize(
    "change",
    [
        {"starts_at_1": "14:00:00", "ends_at_1": "14:30:00"},
        {"site": "other"},
    ],
)
def test_a_booked_slot_keeps_its_time_and_place(admin_client, change):
    slot, booking = _booked_slot()
    day = timezone.localdate(slot.starts_at)
    data = _form(slot.site, slot.procedure, day, "09:00:00", "09:30:00", capacity=2)
    if change.get("site") == "other":
        change = {"site": SiteFactory().pk}
    response = admin_client.post(
        f"/admin/booking/slot/{slot.pk}/change/", data | change
    )
    page = response.content.decode()
    assert response.status_code == 200 and "1 rendez-vous est pris" in page
    slot.refresh_from_db()
    assert (
        timezone.localtime(slot.starts_at).hour == 9 and slot.site == booking.slot.site
    )


def test_a_booked_slot_takes_more_places_not_fewer_than_booked(admin_client):
    slot, _booking = _booked_slot(capacity=2)
    day = timezone.localdate(slot.starts_at)
    url = f"/admin/booking/slot/{slot.pk}/change/"
    fewer = _form(slot.site, slot.procedure, day, "09:00:00", "09:30:00", capacity=0)
    assert "ne peut pas descendre" in admin_client.post(url, fewer).content.decode()
    more = _form(slot.site, slot.procedure, day, "09:00:00", "09:30:00", capacity=3)
    assert admin_client.post(url, more).status_code == 302
    slot.refresh_from_db()
    assert slot.capacity == 3


def test_a_slot_already_on_a_holiday_can_still_be_edited(admin_client):
    # Made before the check (or by a holiday added to the calendar since): its
    # places may still change; only its day may not be set to a holiday.
    christmas = date(timezone.localdate().year + 1, 12, 25)
    starts = timezone.make_aware(datetime.combine(christmas, datetime.min.time()))
    slot = SlotFactory(
        starts_at=starts.replace(hour=9), ends_at=starts.replace(hour=9, minute=30)
    )
    data = _form(slot.site, slot.procedure, christmas, "09:00:00", "09:30:00", 3)
    response = admin_client.post(f"/admin/booking/slot/{slot.pk}/change/", data)
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.capacity == 3
