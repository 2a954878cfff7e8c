import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Booking, BookingEvent
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def test_agent_cancels_bookings_through_the_service_and_failures_are_reported(
    admin_client, admin_user
):
    active = BookingFactory()
    cancelled = BookingFactory(status=Booking.Status.CANCELLED)
    response = admin_client.post(
        "/admin/booking/booking/",
        {"action": "cancel_bookings", "_selected_action": [active.pk, cancelled.pk]},
        follow=True,
    )
    page = response.content.decode()
    active.refresh_from_db()
    assert active.status == Booking.Status.CANCELLED
    assert BookingEvent.objects.get(booking=active).actor == admin_user.username
    assert f"{cancelled.reference} n’est plus actif" in page
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
