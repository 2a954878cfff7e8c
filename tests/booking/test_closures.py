"""Issue 15, item 3: a closure added after the slots were opened closes them at once
(pages, API, holds, the waiting list); the appointments already on them are listed
to the agent, who keeps them or cancels them with an SMS (and, if they wish, puts
each person first on the waiting list). Nothing is cancelled without that choice."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from booking import selectors, services
from booking.errors import OfferClosed, SlotNotBookable
from booking.models import (
    Booking,
    ClosureDay,
    OutgoingMessage,
    WaitingOffer,
    WaitingRequest,
)
from booking.waiting_links import offer_path
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


def offered(procedure, site) -> WaitingOffer:
    """One person on the list, offered the morning place."""
    request = WaitingRequestFactory(procedure=procedure, sites=[site])
    services.offers_make(procedure_id=procedure.pk, now=timezone.now())
    return request.offers.get()


def test_a_closure_saved_by_an_agent_withdraws_the_offers_of_its_places(
    client, day_slots
):
    """Found walking the agents' day: an offer made before the closure could still
    be accepted, a booking on a closed half-day."""
    procedure, site, tuesday, morning, afternoon = day_slots
    afternoon.delete()
    offer = offered(procedure, site)
    assert offer.slot == morning
    agent = login_role(client, "encadrement")
    agent.post("/admin/booking/closureday/add/", closure_form(site, tuesday, "morning"))
    offer.refresh_from_db()
    request = offer.request
    request.refresh_from_db()
    assert offer.status == WaitingOffer.Status.CANCELLED
    assert (request.status, request.missed_offers) == ("waiting", 0)  # not a miss
    assert request.events.filter(kind="offer_withdrawn", actor="système").exists()


def test_an_offer_on_a_place_closed_since_cannot_be_accepted(client, day_slots):
    """A closure written before the minute's sweep withdrew the offer (here: with no
    admin): the offer's page withdraws it, the accept books nothing."""
    procedure, site, tuesday, _morning, _afternoon = day_slots
    offer = offered(procedure, site)
    ClosureDay.objects.create(site=site, day=tuesday, period=ClosureDay.Period.DAY)
    with pytest.raises(OfferClosed):
        services.offer_accept(offer_id=offer.pk, now=timezone.now())
    page = client.post(offer_path(offer), {"answer": "accept"}, follow=True)
    html = page.content.decode()
    assert "Cette place n'est plus disponible" in html
    assert "Vous restez sur la liste d'attente" in html
    assert not Booking.objects.exists()
    offer.refresh_from_db()
    assert offer.status == WaitingOffer.Status.CANCELLED


def test_a_person_an_agent_puts_on_the_list_at_night_is_told_with_the_rest_at_8(
    client, day_slots, settings
):
    """Found walking the agents' day: the "on the waiting list" SMS of a closure's
    cancelled appointment went at once at 23:49, its cancellation at 08:00; and the
    history said the person had joined."""
    settings.SMS_QUIET_FROM, settings.SMS_QUIET_UNTIL = time(20), time(8)
    procedure, site, tuesday, morning, _afternoon = day_slots
    TitleRecordFactory(numero_etranger="4600000078")
    booking = BookingFactory(
        slot=morning, procedure=procedure, numero_etranger="4600000078"
    )
    closure = ClosureDay.objects.create(site=site, day=tuesday)
    night = datetime.combine(timezone.localdate(), time(23, 49), tzinfo=PARIS)
    services.closure_bookings_cancel(
        closure=closure, booking_ids=[booking.pk], offer_new_place=True, by="cheffe",
        now=night,
    )  # fmt: skip
    request = WaitingRequest.objects.get(numero_etranger="4600000078")
    joined = request.messages.get(kind=OutgoingMessage.Kind.WAITING_JOINED)
    cancelled = booking.messages.get(kind=OutgoingMessage.Kind.BOOKING_CANCELLED)
    assert joined.send_after == cancelled.send_after > night
    assert timezone.localtime(joined.send_after).hour == 8
    assert request.events.get(kind="joined").actor == "cheffe"


@pytest.mark.parametrize("forged", ["²", "٣", "9" * 30])
def test_a_forged_booking_key_cancels_nothing_and_answers_no_500(
    client, day_slots, forged
):
    """Found by the agents' walk: "²".isdigit() is true, and int("²") is a 500."""
    procedure, site, tuesday, morning, _afternoon = day_slots
    booking = BookingFactory(slot=morning, procedure=procedure)
    agent = login_role(client, "encadrement")
    agent.post("/admin/booking/closureday/add/", closure_form(site, tuesday))
    closure = ClosureDay.objects.get()
    response = agent.post(
        f"/admin/booking/closureday/{closure.pk}/rendez-vous/",
        {"decision": "cancel", "booking": [forged]},
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
