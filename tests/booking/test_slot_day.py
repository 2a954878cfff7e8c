"""The slot list one day at a time (selectors.slot_day): which day is shown, what
"a day" is in Paris time, and the way to the days around it."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Value

from booking import selectors
from booking.models import Slot
from tests.factories import SlotFactory

PARIS = ZoneInfo("Europe/Paris")


def listed(day):
    return selectors.slot_day(
        Slot.objects.annotate(free=Value(1)).order_by("starts_at", "pk"), day=day
    )


@pytest.mark.django_db
def test_a_day_is_a_paris_day_across_the_change_to_summer_time():
    # 2027-03-28: clocks go from 2:00 to 3:00; the day is 23 hours long.
    just_in = SlotFactory(starts_at=datetime(2027, 3, 28, 0, 30, tzinfo=PARIS))
    late = SlotFactory(starts_at=datetime(2027, 3, 28, 23, 30, tzinfo=PARIS))
    next_day = SlotFactory(starts_at=datetime(2027, 3, 29, 0, 10, tzinfo=PARIS))
    before = SlotFactory(starts_at=datetime(2027, 3, 27, 23, 50, tzinfo=PARIS))

    page = listed(date(2027, 3, 28))

    assert [s.value for s in page.shown.slots] == [str(just_in.pk), str(late.pk)]
    assert [s.time for s in page.shown.slots] == ["00:30", "23:30"]
    assert page.previous_day == date(2027, 3, 27)
    assert page.next_day == date(2027, 3, 29)
    assert [(tab.day, tab.slots) for tab in page.days] == [
        (date(2027, 3, 27), 1),
        (date(2027, 3, 28), 2),
        (date(2027, 3, 29), 1),
    ]
    assert {next_day.pk, before.pk}.isdisjoint(int(s.value) for s in page.shown.slots)


@pytest.mark.django_db
def test_the_day_asked_for_or_the_nearest_after_or_the_last():
    SlotFactory(starts_at=datetime(2027, 6, 1, 9, tzinfo=PARIS))
    SlotFactory(starts_at=datetime(2027, 6, 8, 9, tzinfo=PARIS))

    assert listed(None).shown.day == date(2027, 6, 1)  # the first by default
    assert listed(date(2027, 6, 3)).shown.day == date(2027, 6, 8)
    assert listed(date(2030, 1, 1)).shown.day == date(2027, 6, 8)
    assert listed(date(2027, 6, 8)).next_day is None
    assert listed(date(2027, 6, 1)).previous_day is None


@pytest.mark.django_db
def test_no_open_slot_lists_no_day():
    page = listed(None)
    assert page.shown is None and page.days == []
