import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking.admin.confirm import selection_key
from booking.models import Booking, BookingEvent, OutgoingMessage
from tests.factories import (
    BookingFactory,
    CardFactory,
    TitleRecordFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.django_db


def test_agent_cancels_bookings_through_the_service_and_failures_are_reported(
    admin_client, admin_user
):
    active = BookingFactory()
    cancelled = BookingFactory(status=Booking.Status.CANCELLED)
    chosen = {
        "action": "cancel_bookings",
        "_selected_action": [active.pk, cancelled.pk],
    }
    # First the page that names what will be cancelled: nothing is yet.
    asked = admin_client.post("/admin/booking/booking/", chosen)
    page = asked.content.decode()
    assert asked.status_code == 200 and "Annuler ces rendez-vous ?" in page
    assert active.reference in page and cancelled.reference not in page
    assert "1 rendez-vous choisi n’est plus actif : il ne change pas." in page
    active.refresh_from_db()
    assert active.status == Booking.Status.CONFIRMED and not active.messages.exists()

    confirm = {"post": "yes", "selection": selection_key([active.pk])}
    response = admin_client.post(
        "/admin/booking/booking/", chosen | confirm, follow=True
    )
    page = response.content.decode()
    active.refresh_from_db()
    assert active.status == Booking.Status.CANCELLED
    assert BookingEvent.objects.get(booking=active).actor == admin_user.username
    assert "1 rendez-vous annulé." in page


@pytest.mark.parametrize(
    "url",
    [
        "/admin/booking/booking/",
        "/admin/booking/slot/",
        "/admin/booking/procedure/",
        "/admin/booking/site/",
        "/admin/booking/titlerecord/",
    ],
)
def test_booking_admin_lists_cost_a_fixed_number_of_queries(admin_client, url):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    BookingFactory()
    few = queries()
    for _ in range(15):
        BookingFactory()
    assert queries() == few


@pytest.mark.parametrize("query", ["2008006503", "208 006 503", "2008-006-503", "ref"])
def test_booking_search_by_numero_in_any_notation_and_reference(admin_client, query):
    booking = BookingFactory(numero_etranger="2008006503")
    other = BookingFactory()
    query = booking.reference if query == "ref" else query
    page = admin_client.get("/admin/booking/booking/", {"q": query}).content.decode()
    assert booking.reference in page
    assert other.reference not in page


@pytest.mark.parametrize(
    "url, make",
    [
        ("/admin/booking/booking/", lambda **names: BookingFactory(**names)),
        ("/admin/booking/card/", lambda **names: CardFactory(**names)),
        (
            "/admin/booking/waitingrequest/",
            lambda **names: WaitingRequestFactory(**names),
        ),
    ],
)
@pytest.mark.parametrize("query", ["elodie", "DUPRE", "dupré", " Élodie "])
def test_a_name_is_found_typed_without_its_accents_or_capitals(
    admin_client, url, make, query
):
    # As at the desk and in the agenda: the lists found "Élodie" but not "elodie".
    make(last_name="Dupré", first_name="Élodie", numero_etranger="2008006503")
    make(last_name="Martin", first_name="Paul", numero_etranger="2008006504")
    page = admin_client.get(url, {"q": query}).content.decode()
    assert "Dupré" in page and "Martin" not in page


@pytest.mark.parametrize("query", ["208006503", "20 08 006 503"])
def test_the_register_is_searched_by_numero_in_any_notation(admin_client, query):
    TitleRecordFactory(numero_etranger="2008006503")
    TitleRecordFactory(numero_etranger="2008006504")
    page = admin_client.get("/admin/booking/titlerecord/", {"q": query})
    html = page.content.decode()
    assert "2008006503" in html and "2008006504" not in html


EVENTS_INLINE = {"events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0}


def booking_change_form(booking, **changes):
    return {
        "last_name": booking.last_name,
        "first_name": booking.first_name,
        "mobile": booking.mobile,
        "email": booking.email,
        "language": booking.language,
        **EVENTS_INLINE,
        **changes,
    }


def test_change_form_cannot_set_the_flag_or_the_note_behind_the_service(admin_client):
    booking = BookingFactory()
    response = admin_client.post(
        f"/admin/booking/booking/{booking.pk}/change/",
        booking_change_form(booking, suspicious_numero="on", agent_note="en douce"),
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.suspicious_numero, booking.agent_note) == (False, "")
    assert not BookingEvent.objects.exists()


def test_change_form_flags_the_numero_through_the_service_with_its_event(
    admin_client, admin_user
):
    booking = BookingFactory()
    response = admin_client.post(
        f"/admin/booking/booking/{booking.pk}/change/",
        booking_change_form(booking, flag="on", flag_note=" titre expiré "),
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.suspicious_numero, booking.agent_note) == (True, "titre expiré")
    event = BookingEvent.objects.get(booking=booking)
    assert (event.kind, event.actor, event.detail) == (
        BookingEvent.Kind.FLAGGED,
        admin_user.username,
        {"note": "titre expiré"},
    )


def test_change_form_writes_the_contact_details_and_nothing_else(admin_client):
    booking = BookingFactory()
    # A service changed the status since the agent opened the form: it is kept.
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    response = admin_client.post(
        f"/admin/booking/booking/{booking.pk}/change/",
        booking_change_form(
            booking, mobile="07 98 76 54 32", status=Booking.Status.CONFIRMED
        ),
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.mobile == "+33798765432"
    assert booking.status == Booking.Status.CANCELLED
    assert not BookingEvent.objects.exists()


def test_change_form_refuses_a_landline_for_the_applicant(admin_client):
    booking = BookingFactory()
    response = admin_client.post(
        f"/admin/booking/booking/{booking.pk}/change/",
        booking_change_form(booking, mobile="01 23 45 67 89"),
    )
    assert "ne peut pas recevoir de SMS" in response.content.decode()
    booking.refresh_from_db()
    assert booking.mobile == "+33612345678"


def test_history_revert_cannot_bring_back_a_cancelled_booking(admin_client):
    from django.utils import timezone

    from booking import services

    booking = BookingFactory()
    first = booking.history.earliest()
    services.booking_cancel(booking_id=booking.pk, now=timezone.now(), by="agent")
    url = f"/admin/booking/booking/{booking.pk}/history/{first.history_id}/"
    assert admin_client.get(url).status_code == 200  # read, yes
    response = admin_client.post(url, booking_change_form(booking))
    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_flagging_alone_writes_one_version_in_the_history(admin_client):
    booking = BookingFactory()
    versions = booking.history.count()
    admin_client.post(
        f"/admin/booking/booking/{booking.pk}/change/",
        booking_change_form(booking, flag="on", flag_note="à revoir"),
    )
    # The flag's own save; no empty contact change beside it.
    assert booking.history.count() == versions + 1


def test_a_corrected_mobile_takes_the_sms_not_yet_sent_along(admin_client):
    """A confirmation held by the quiet hours went to the mistyped number after
    the agent had corrected it."""
    booking = BookingFactory(mobile="+33612345678")
    held, gone = (
        OutgoingMessage.objects.create(
            idempotency_key=f"test:{booking.pk}:{status}",
            kind=OutgoingMessage.Kind.BOOKING_CONFIRMED,
            booking=booking,
            to="+33612345678",
            body="confirmé",
            status=status,
            send_after=timezone.now(),
        )
        for status in ("pending", "sent")
    )
    response = admin_client.post(
        f"/admin/booking/booking/{booking.pk}/change/",
        booking_change_form(booking, mobile="07 98 76 54 32"),
    )
    assert response.status_code == 302
    held.refresh_from_db()
    gone.refresh_from_db()
    assert held.to == "+33798765432"
    assert gone.to == "+33612345678"  # as it was sent
