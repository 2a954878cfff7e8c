"""Every time an agent reads is the préfecture's (Europe/Paris), whatever the season:
the bookings list, the agenda, its CSV, the slot's label and list, the history and
the applicant's SMS all say the same day and the same time for one booking."""

import csv
import io
from datetime import date, datetime

import pytest
from django.utils import translation

from booking.admin.base import detail_words
from booking.models import BookingEvent
from booking.sms import texts
from tests.clock import PARIS
from tests.factories import BookingFactory, SiteFactory, SlotFactory

pytestmark = pytest.mark.django_db

DAYS = [
    date(2027, 1, 12),  # winter: Paris is UTC+1
    date(2027, 7, 13),  # summer: Paris is UTC+2
    date(2027, 3, 28),  # the night the clocks go forward (UTC+1 until 2:00, then +2)
    date(2026, 10, 25),  # the night they go back (UTC+2 until 3:00, then +1)
]


def agenda_csv_rows(client, day) -> list[list[str]]:
    text = agenda(client, day, format="csv").content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def booking_at(day: date, hour: int = 9, minute: int = 0):
    starts_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)
    slot = SlotFactory(starts_at=starts_at, site=SiteFactory(name="Orléans"))
    return BookingFactory(slot=slot, last_name="Diallo")


def agenda(client, day: date, **params):
    return client.get(
        "/admin/booking/booking/agenda/", {"day": day.isoformat(), **params}
    )


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_one_booking_at_nine_reads_nine_everywhere(admin_client, day):
    booking = booking_at(day)
    slashed = f"{day:%d/%m/%Y}"
    wrong = ["08:00", "07:00", "10:00"]

    # the slot's label (admin selects, the bookings list, the change page)
    assert str(booking.slot).endswith(f"{slashed} 09:00")

    listed = admin_client.get("/admin/booking/booking/").content.decode()
    assert f"{slashed} 09:00" in listed
    assert not any(f"{slashed} {time}" in listed for time in wrong)

    change = admin_client.get(
        f"/admin/booking/booking/{booking.pk}/change/"
    ).content.decode()
    assert f"{slashed} 09:00" in change

    page = agenda(admin_client, day).content.decode()
    assert booking.reference in page and "09:00" in page
    assert not any(time in page for time in wrong)

    rows = agenda_csv_rows(admin_client, day)
    assert rows[1][0] == "09:00" and rows[1][3] == booking.reference

    slots = admin_client.get("/admin/booking/slot/").content.decode()
    assert f"{day.year} 09:00" in slots
    assert not any(f"{day.year} {time}" in slots for time in wrong)

    sms = texts.booking_confirmed(booking=booking, url="https://rdv.example/g/x")
    assert f"{day:%d/%m}" in sms and "09:00" in sms


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        # 00:30 in Paris is still the day before in UTC: it belongs to its Paris day
        (datetime(2027, 7, 13, 0, 30, tzinfo=PARIS), date(2027, 7, 13)),
        # 23:30 in Paris is already the next day in UTC in summer and winter alike
        (datetime(2027, 1, 12, 23, 30, tzinfo=PARIS), date(2027, 1, 12)),
        (datetime(2026, 10, 25, 0, 30, tzinfo=PARIS), date(2026, 10, 25)),
    ],
    ids=str,
)
def test_the_agenda_day_is_the_paris_day(admin_client, moment, day):
    booking = booking_at(moment.date(), moment.hour, moment.minute)
    assert booking.reference in agenda(admin_client, day).content.decode()
    for other in (
        date.fromordinal(day.toordinal() - 1),
        date.fromordinal(day.toordinal() + 1),
    ):
        assert booking.reference not in agenda(admin_client, other).content.decode()
    rows = agenda_csv_rows(admin_client, day)
    assert rows[1][0] == f"{moment:%H:%M}"


def test_the_history_names_slots_in_paris_time(admin_client):
    before = booking_at(date(2027, 1, 12))
    after = booking_at(date(2027, 7, 13), 14, 30)
    BookingEvent.objects.create(
        booking=before,
        kind=BookingEvent.Kind.MOVED,
        actor="accueil",
        detail={"from": before.slot.pk, "to": after.slot.pk},
    )
    with translation.override("fr"):
        words = detail_words({"from": before.slot.pk, "to": after.slot.pk})
    assert "12 janvier 2027 09:00" in words and "13 juillet 2027 14:30" in words
    page = admin_client.get(
        f"/admin/booking/booking/{before.pk}/change/"
    ).content.decode()
    assert "12 janvier 2027 09:00" in page and "13 juillet 2027 14:30" in page
