"""The slot list one day at a time (selectors.slot_day): which day is shown, what
"a day" is in Paris time, and the way to the days around it."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Value

from booking import selectors
from booking.models import Slot
from tests.factories import SiteFactory, SlotFactory

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


@pytest.mark.django_db
def test_a_day_emptied_between_the_two_reads_is_read_again():
    """In a rush the day's last place can go between reading the days and reading
    the day's times: the page then showed a day with no time and no "complet"."""
    gone = SlotFactory(starts_at=datetime(2027, 6, 1, 9, tzinfo=PARIS))
    stays = SlotFactory(starts_at=datetime(2027, 6, 8, 9, tzinfo=PARIS))
    taken: list[int] = []

    def take_the_first_day_after_the_days_are_read(execute, sql, params, many, ctx):
        result = execute(sql, params, many, ctx)
        if not taken:
            taken.append(gone.pk)
            Slot.objects.filter(pk=gone.pk).delete()
        return result

    with connection.execute_wrapper(take_the_first_day_after_the_days_are_read):
        page = listed(None)

    assert taken == [gone.pk]
    assert page.shown.day == date(2027, 6, 8)
    assert [s.value for s in page.shown.slots] == [str(stays.pk)]
    assert [tab.day for tab in page.days] == [date(2027, 6, 8)]


@pytest.mark.django_db
def test_places_going_faster_than_they_are_read_say_complet():
    SlotFactory(starts_at=datetime(2027, 6, 1, 9, tzinfo=PARIS))
    reads: list[date] = []

    class EmptiedAsRead:
        """The days say 1 June; its times are always gone by the second read."""

        def __init__(self, base):
            self.base = base

        def annotate(self, **kwargs):
            return self.base.annotate(**kwargs)

        def filter(self, **kwargs):
            reads.append(kwargs["starts_at__gte"].date())
            return self.base.none()

    page = selectors.slot_day(
        EmptiedAsRead(Slot.objects.annotate(free=Value(1))), day=None
    )

    assert page.shown is None and page.days == []
    assert reads == [date(2027, 6, 1)] * selectors.SLOT_DAY_READS


@pytest.mark.django_db
@pytest.mark.postgres
def test_the_compiled_slot_list_is_the_one_the_orm_reads(renewal):
    """slot_day_open (its queries compiled once per process) lists what slot_day of
    slot_list_open lists: on the day the clocks go forward, with a slot full, one
    held by someone else, one held by the caller (free for them alone) and one
    outside the booking window."""
    from datetime import timedelta

    from booking.models import Hold

    site = SiteFactory()
    now = datetime(2027, 3, 25, 10, tzinfo=PARIS)
    published = now - timedelta(days=1)

    def slot(when, capacity=1):
        return SlotFactory(
            procedure=renewal,
            site=site,
            starts_at=when,
            capacity=capacity,
            published_at=published,
        )

    slot(datetime(2027, 3, 28, 0, 30, tzinfo=PARIS), capacity=3)
    held = slot(datetime(2027, 3, 28, 9, tzinfo=PARIS))
    mine = slot(datetime(2027, 3, 28, 23, 30, tzinfo=PARIS))
    slot(datetime(2027, 3, 29, 9, tzinfo=PARIS))
    slot(now + timedelta(days=renewal.max_horizon_days, hours=1))  # too far
    for hold, token in ((held, "theirs"), (mine, "mine")):
        Hold.objects.create(
            slot=hold,
            token=token,
            numero_etranger=token,
            expires_at=now + timedelta(minutes=10),
        )
    for day in (None, date(2027, 3, 28), date(2027, 3, 29), date(2030, 1, 1)):
        for token in ("", "mine"):
            orm = selectors.slot_day(
                selectors.slot_list_open(
                    procedure=renewal, now=now, exclude_hold_token=token
                ),
                day=day,
                now=now,
            )
            compiled = selectors.slot_day_open(
                procedure=renewal, now=now, day=day, exclude_hold_token=token
            )
            assert compiled == orm, (day, token)
    mine_listed = selectors.slot_day_open(
        procedure=renewal, now=now, day=date(2027, 3, 28), exclude_hold_token="mine"
    )
    assert str(mine.pk) in [s.value for s in mine_listed.shown.slots]
    assert str(held.pk) not in [s.value for s in mine_listed.shown.slots]
