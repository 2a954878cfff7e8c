"""Issue 15, item 3: a closure added after the slots were opened closes them at once
(pages, API, holds, the waiting list); the appointments already on them are listed
to the agent, who keeps them or cancels them with an SMS (and, if they wish, puts
each person first on the waiting list). Nothing is cancelled without that choice."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from booking import selectors, services
from booking.errors import SlotNotBookable
from booking.models import (
    Booking,
    ClosureDay,
    OutgoingMessage,
    WaitingOffer,
    WaitingRequest,
)
from tests.agents import login_role
from tests.clock import PARIS
from tests.factories import (
    BookingFactory,
    ProcedureFactory,
    SiteFactory,
    SlotFactory,
    TitleRecordFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL


def next_weekday(weekday: int, *, after_days: int = 3) -> date:
    day = timezone.localdate() + timedelta(days=after_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def day_slots():
    """A Tuesday with a morning slot (11:30 Paris) and an afternoon one (14:00)."""
    procedure = ProcedureFactory(slug="renouvellement")
    site = SiteFactory()
    tuesday = next_weekday(1)
    morning = SlotFactory(procedure=procedure, site=site, starts_at=at(tuesday, 11, 30))
    afternoon = SlotFactory(procedure=procedure, site=site, starts_at=at(tuesday, 14))
    return procedure, site, tuesday, morning, afternoon


def open_ids(procedure):
    return set(
        selectors.slot_list_open(procedure=procedure, now=timezone.now()).values_list(
            "pk", flat=True
        )
    )


def test_a_morning_closure_hides_the_morning_slot_at_once_everywhere(client, day_slots):
    procedure, site, tuesday, morning, afternoon = day_slots
    assert open_ids(procedure) == {morning.pk, afternoon.pk}
    ClosureDay.objects.create(site=site, day=tuesday, period=ClosureDay.Period.MORNING)
    assert open_ids(procedure) == {afternoon.pk}
    api = client.get("/api/v1/creneaux", {"demarche": "renouvellement"}).json()
    assert [row["id"] for row in api] == [afternoon.pk]
    with pytest.raises(SlotNotBookable):
        services.hold_place(
            slot_id=morning.pk,
            procedure=procedure,
            numero_etranger="4500000001",
            client_ip="192.0.2.1",
            now=timezone.now(),
        )
    ClosureDay.objects.create(site=site, day=tuesday, period=ClosureDay.Period.DAY)
    assert open_ids(procedure) == set()


def test_another_sites_closure_closes_nothing_here(day_slots):
    procedure, _site, tuesday, morning, afternoon = day_slots
    ClosureDay.objects.create(site=SiteFactory(), day=tuesday)
    assert open_ids(procedure) == {morning.pk, afternoon.pk}


def test_the_waiting_list_is_not_offered_a_closed_slot(day_slots):
    procedure, site, tuesday, morning, _afternoon = day_slots
    ClosureDay.objects.create(
        site=site, day=tuesday, period=ClosureDay.Period.AFTERNOON
    )
    request = WaitingRequestFactory(procedure=procedure, sites=[site])
    other = WaitingRequestFactory(procedure=procedure, sites=[site])
    assert services.offers_make(procedure_id=procedure.pk, now=timezone.now()) == 1
    assert set(WaitingOffer.objects.values_list("slot", flat=True)) == {morning.pk}
    assert {request.offers.count(), other.offers.count()} == {0, 1}


def closure_form(site, day, period="day"):
    return {"site": site.pk, "day": day.strftime("%d/%m/%Y"), "period": period,
            "reason": "travaux"}  # fmt: skip


def test_saving_a_closure_over_bookings_lists_them_and_keeping_cancels_nothing(
    client, day_slots
):
    _procedure, site, tuesday, morning, _afternoon = day_slots
    booking = BookingFactory(slot=morning, reference="KEEPME22")
    agent = login_role(client, "encadrement")
    response = agent.post("/admin/booking/closureday/add/", closure_form(site, tuesday))
    closure = ClosureDay.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/closureday/{closure.pk}/rendez-vous/")
    page = agent.get(response["Location"]).content.decode()
    assert "KEEPME22" in page and "11:30" in page  # Paris time
    agent.post(response["Location"], {"decision": "keep", "booking": [booking.pk]})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert not OutgoingMessage.objects.filter(
        kind=OutgoingMessage.Kind.BOOKING_CANCELLED
    ).exists()


def test_cancelling_sends_the_sms_and_puts_each_person_first_on_the_list(
    client, day_slots, django_capture_on_commit_callbacks
):
    procedure, site, tuesday, morning, afternoon = day_slots
    TitleRecordFactory(numero_etranger="4600000077")
    chosen = BookingFactory(
        slot=morning, procedure=procedure, numero_etranger="4600000077"
    )
    kept = BookingFactory(slot=afternoon, procedure=procedure)
    agent = login_role(client, "encadrement")
    agent.post("/admin/booking/closureday/add/", closure_form(site, tuesday))
    closure = ClosureDay.objects.get()
    url = f"/admin/booking/closureday/{closure.pk}/rendez-vous/"
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            url, {"decision": "cancel", "booking": [chosen.pk], "offer": "1"}
        )
    assert response.status_code == 302
    chosen.refresh_from_db()
    kept.refresh_from_db()
    assert chosen.status == Booking.Status.CANCELLED
    assert kept.status == Booking.Status.CONFIRMED  # not ticked: kept
    assert chosen.messages.filter(kind=OutgoingMessage.Kind.BOOKING_CANCELLED).exists()
    assert chosen.events.filter(kind="cancelled", actor="agent-encadrement").exists()
    request = WaitingRequest.objects.get(numero_etranger="4600000077")
    assert request.priority == WaitingRequest.Priority.URGENT
    assert "fermeture" in request.priority_reason


def test_a_closure_over_no_booking_goes_back_to_the_list(client, day_slots):
    _procedure, site, tuesday, _morning, _afternoon = day_slots
    agent = login_role(client, "encadrement")
    response = agent.post("/admin/booking/closureday/add/", closure_form(site, tuesday))
    assert response["Location"].endswith("/admin/booking/closureday/")
