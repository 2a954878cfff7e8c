"""A date typed in a list's address at the edge of the calendar (year 1, year
9999) shows the list without its filters and says why, not a 500: Paris's
offset pushes midnight of 0001-01-01 out of Python's datetimes."""

import pytest

from tests.factories import SlotFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    [
        "starts_at__gte=0001-01-01",
        "starts_at__lt=0001-01-01 00:00",
        "starts_at__gte=9999-12-31 23:59:59",
        "starts_at__year=1",
        "starts_at__year=9999&starts_at__month=12",
        "starts_at__year=9999&starts_at__month=12&starts_at__day=31",
        "starts_at__year=99999",
        "starts_at__date=0001-01-01",
    ],
)
def test_a_date_at_the_edge_of_the_calendar_is_no_500(admin_client, query):
    SlotFactory()
    response = admin_client.get(f"/admin/booking/slot/?{query}", follow=True)
    assert response.status_code == 200


def test_the_list_says_why_its_filter_was_dropped(admin_client):
    response = admin_client.get(
        "/admin/booking/slot/?starts_at__year=9999&starts_at__month=12", follow=True
    )
    assert response.redirect_chain == [("/admin/booking/slot/", 302)]
    assert "Date hors du calendrier" in response.content.decode()
