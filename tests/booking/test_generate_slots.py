from datetime import date, datetime, time, timedelta

import holidays
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from booking.models import ClosureDay, OpeningSchedule, Slot
from booking.selectors import slot_list_open
from booking.services.slots import publication_moment, slots_generate
from tests.clock import PARIS
from tests.factories import BookingFactory, ProcedureFactory, SiteFactory

pytestmark = pytest.mark.django_db

# Thursday 17 December 2026: the horizon covers Friday 25 December.
NOW = datetime(2026, 12, 17, 10, 0, tzinfo=PARIS)


def schedule(weekday=4, starts=time(9), ends=time(12), **kwargs) -> OpeningSchedule:
    values = {
        "site": kwargs.pop("site", None) or SiteFactory(),
        "procedure": kwargs.pop("procedure", None)
        or ProcedureFactory(max_horizon_days=14),
        "weekday": weekday,
        "starts": starts,
        "ends": ends,
        "slot_minutes": 30,
        "places": 2,
        "valid_from": date(2026, 1, 1),
    }
    return OpeningSchedule.objects.create(**{**values, **kwargs})


def friday_slots(day: date) -> list[Slot]:
    return list(Slot.objects.filter(starts_at__date=day).order_by("starts_at"))


def opened() -> list[tuple[date, time, time, int]]:
    """Every slot as (day, start, end, places) in Paris time, earliest first."""
    slots = Slot.objects.order_by("starts_at")
    return [
        (
            timezone.localdate(s.starts_at, PARIS),
            timezone.localtime(s.starts_at, PARIS).time(),
            timezone.localtime(s.ends_at, PARIS).time(),
            s.capacity,
        )
        for s in slots
    ]


def test_fridays_up_to_the_horizon_skipping_christmas():
    schedule()
    report = slots_generate(now=NOW)
    # The horizon (14 days) ends on Thursday 31 December: Friday 18 December only,
    # Friday 25 December being a public holiday.
    friday = date(2026, 12, 18)
    assert opened() == [
        (friday, time(9), time(9, 30), 2),
        (friday, time(9, 30), time(10), 2),
        (friday, time(10), time(10, 30), 2),
        (friday, time(10, 30), time(11), 2),
        (friday, time(11), time(11, 30), 2),
        (friday, time(11, 30), time(12), 2),
    ]
    assert (report.created, report.skipped_closed) == (6, 0)


def test_generation_is_idempotent_and_never_touches_booked_slots():
    plan = schedule()
    slots_generate(now=NOW)
    booked = friday_slots(date(2026, 12, 18))[0]
    BookingFactory(slot=booked)
    plan.places = 5
    plan.save()
    before = opened()
    assert slots_generate(now=NOW).created == 0
    assert opened() == before  # 6 slots of 2 places, booked or not
    assert len(before) == 6 and {places for *_, places in before} == {2}
    booked.refresh_from_db()
    assert booked.capacity == 2 and booked.bookings.count() == 1


@pytest.mark.parametrize(
    ("period", "expected_hours"),
    [
        ("day", []),
        ("morning", [time(14), time(14, 30)]),
        ("afternoon", [time(9), time(9, 30)]),
    ],
)
def test_closures_skip_their_period(period, expected_hours):
    site = SiteFactory()
    procedure = ProcedureFactory(max_horizon_days=14)
    schedule(site=site, procedure=procedure, starts=time(9), ends=time(10))
    schedule(site=site, procedure=procedure, starts=time(14), ends=time(15))
    ClosureDay.objects.create(site=site, day=date(2026, 12, 18), period=period)
    report = slots_generate(now=NOW)
    assert (report.created, report.skipped_closed) == (
        len(expected_hours),
        4 - len(expected_hours),
    )
    hours = [
        timezone.localtime(s.starts_at).time() for s in friday_slots(date(2026, 12, 18))
    ]
    assert hours == expected_hours


def test_validity_bounds_are_respected():
    schedule(valid_from=date(2026, 12, 19))
    assert slots_generate(now=NOW).created == 0
    assert opened() == []  # the next Friday, 25 December, is a public holiday


def test_command_reports_what_it_created(capsys):
    # The command reads the clock: the day is the first working day after today.
    tomorrow = timezone.localdate() + timedelta(days=1)
    day = next(
        d
        for d in (tomorrow + timedelta(days=n) for n in range(3))
        if d not in holidays.country_holidays("FR", years=d.year)
    )
    site, procedure = SiteFactory(), ProcedureFactory(max_horizon_days=3)
    for starts, ends in ((time(9), time(12)), (time(14), time(15))):
        schedule(site=site, procedure=procedure, weekday=day.weekday(),
                 starts=starts, ends=ends, valid_from=tomorrow)  # fmt: skip
    ClosureDay.objects.create(site=site, day=day, period="afternoon")
    call_command("generate_slots")
    assert capsys.readouterr().out == "created 6 slots (2 skipped: closures)\n"
    assert [(d, start) for d, start, _end, _places in opened()] == [
        (day, time(9)), (day, time(9, 30)), (day, time(10)),
        (day, time(10, 30)), (day, time(11)), (day, time(11, 30)),
    ]  # fmt: skip


def test_overlapping_or_inverted_schedules_are_refused():
    first = schedule()
    overlapping = OpeningSchedule(
        site=first.site,
        procedure=first.procedure,
        weekday=4,
        starts=time(11),
        ends=time(13),
        valid_from=date(2026, 6, 1),
    )
    with pytest.raises(ValidationError, match="chevauche"):
        overlapping.full_clean()
    inverted = OpeningSchedule(
        site=first.site, procedure=first.procedure, weekday=1,
        starts=time(12), ends=time(9), valid_from=date(2026, 6, 1),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="après le début"):
        inverted.full_clean()


def test_admin_refuses_an_overlapping_schedule(admin_client):
    first = schedule()
    response = admin_client.post(
        "/admin/booking/openingschedule/add/",
        {"site": first.site.pk, "procedure": first.procedure.pk, "weekday": 4,
         "starts": "10:00", "ends": "11:00", "slot_minutes": 30, "places": 1,
         "valid_from": "01/01/2026", "publish_from": "08:00", "publish_until": "18:00"},
    )  # fmt: skip
    assert "chevauche" in response.content.decode()
    assert OpeningSchedule.objects.count() == 1


def test_publication_happens_at_a_random_moment_of_the_window():
    early = datetime(2026, 12, 17, 5, 40, tzinfo=PARIS)
    moments = {
        publication_moment(now=early, window_from=time(8), window_until=time(18))
        for _ in range(20)
    }
    assert len(moments) == 20  # never the same predictable minute
    for moment in moments:
        local = timezone.localtime(moment)
        assert local.date() == date(2026, 12, 17) and time(8) <= local.time() < time(18)


def test_publication_inside_the_window_is_never_in_the_past_and_after_it_is_tomorrow():
    noon = datetime(2026, 12, 17, 12, 0, tzinfo=PARIS)
    assert noon <= publication_moment(
        now=noon, window_from=time(8), window_until=time(18)
    )
    evening = datetime(2026, 12, 17, 19, 0, tzinfo=PARIS)
    later = timezone.localtime(
        publication_moment(now=evening, window_from=time(8), window_until=time(18))
    )
    assert later.date() == date(2026, 12, 18) and time(8) <= later.time() < time(18)


def test_generated_slots_are_hidden_until_published():
    plan = schedule(publish_from=time(8), publish_until=time(9))
    early = datetime(2026, 12, 17, 5, 40, tzinfo=PARIS)
    assert slots_generate(now=early).created == 6
    (published,) = set(Slot.objects.values_list("published_at", flat=True))
    assert (
        datetime(2026, 12, 17, 8, tzinfo=PARIS)
        <= published
        < datetime(2026, 12, 17, 9, tzinfo=PARIS)
    )  # one moment for the whole batch, inside the window
    assert slot_list_open(procedure=plan.procedure, now=early).count() == 0
    before = published - timedelta(seconds=1)
    assert slot_list_open(procedure=plan.procedure, now=before).count() == 0
    assert slot_list_open(procedure=plan.procedure, now=published).count() == 6
    after = datetime(2026, 12, 17, 9, 0, tzinfo=PARIS)
    assert slot_list_open(procedure=plan.procedure, now=after).count() == 6


@pytest.mark.parametrize(
    "sunday, expected",
    [
        # 28 March 2027: 02:00 does not exist; 01:00–04:00 Paris is two real hours.
        (date(2027, 3, 28), [(time(1), time(1, 30)), (time(1, 30), time(3)),
                             (time(3), time(3, 30)), (time(3, 30), time(4))]),
        # 31 October 2027: 02:00–03:00 comes twice; 01:00–04:00 is four real hours.
        (date(2027, 10, 31), [(time(1), time(1, 30)), (time(1, 30), time(2)),
                              (time(2), time(2, 30)), (time(2, 30), time(2)),
                              (time(2), time(2, 30)), (time(2, 30), time(3)),
                              (time(3), time(3, 30)), (time(3, 30), time(4))]),
    ],
)  # fmt: skip
def test_the_night_clocks_change_gives_slots_of_real_half_hours(sunday, expected):
    """Found by the agents' walk: on 31 October a 90-minute slot and no repeated
    hour; on 28 March the same instants twice, counted as opened."""
    schedule(
        weekday=6,
        starts=time(1),
        ends=time(4),
        procedure=ProcedureFactory(max_horizon_days=400),
        valid_from=sunday,
        valid_until=sunday,
    )
    report = slots_generate(now=NOW)
    slots = list(Slot.objects.order_by("starts_at"))
    assert [
        (timezone.localtime(s.starts_at, PARIS).time(),
         timezone.localtime(s.ends_at, PARIS).time()) for s in slots
    ] == expected  # fmt: skip
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)
    assert report.created == len(slots)


def test_two_schedules_over_the_same_times_open_and_count_each_slot_once():
    site, procedure = SiteFactory(), ProcedureFactory(max_horizon_days=14)
    schedule(site=site, procedure=procedure, valid_until=date(2026, 12, 20))
    OpeningSchedule.objects.bulk_create(  # an overlap the form would refuse
        [OpeningSchedule(**{**OpeningSchedule.objects.values().get(), "id": None})]
    )
    report = slots_generate(now=NOW)
    assert report.created == Slot.objects.count() == 6
