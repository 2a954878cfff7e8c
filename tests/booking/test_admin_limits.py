"""A value outside what a counter can have is refused on its field, in words
(found by the agents' walk: "La contrainte « booking_schedule_slot_positive » n'est
pas respectée", and 99999 places per slot accepted)."""

import pytest

from booking.models import OpeningSchedule, Procedure, Slot
from tests.booking.test_roles import schedule_form
from tests.booking.test_slot_admin import _form as slot_form
from tests.booking.test_slot_admin import _working_day
from tests.booking.test_waiting_admin import procedure_form, procedure_url
from tests.factories import ProcedureFactory, SiteFactory

pytestmark = pytest.mark.django_db


def assert_refused_in_words(response) -> None:
    page = response.content.decode()
    assert response.status_code == 200
    assert "booking_" not in page.split('id="content"', 1)[1].split("<form", 1)[0]
    assert "errorlist" in page
    assert "contrainte" not in page


@pytest.mark.parametrize(
    "field, value",
    [("slot_minutes", 0), ("slot_minutes", 10000), ("places", 0), ("places", 99999)],
)
def test_a_schedule_out_of_bounds_is_refused_in_words(admin_client, field, value):
    response = admin_client.post(
        "/admin/booking/openingschedule/add/", schedule_form() | {field: value}
    )
    assert_refused_in_words(response)
    assert not OpeningSchedule.objects.exists()


def test_a_schedule_ending_before_it_starts_to_be_valid_is_refused_in_words(
    admin_client,
):
    response = admin_client.post(
        "/admin/booking/openingschedule/add/",
        schedule_form() | {"valid_until": "01/12/2026"},
    )
    assert "La fin de validité précède son début." in response.content.decode()
    assert not OpeningSchedule.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"max_horizon_days": 0},
        {"max_horizon_days": 5000},
        {"waiting_mode": "mixte", "waiting_share": 101},
        {"channel": "online", "external_url": ""},
    ],
)
def test_a_procedure_out_of_bounds_is_refused_in_words(admin_client, changes):
    procedure = ProcedureFactory(max_horizon_days=60)
    response = admin_client.post(
        procedure_url(procedure), procedure_form(procedure, **changes)
    )
    assert_refused_in_words(response)
    procedure.refresh_from_db()
    assert procedure.max_horizon_days == 60 and procedure.channel != "online"


@pytest.mark.parametrize(
    "start, end, capacity, words",
    [
        ("10:00:00", "09:30:00", 1, "La fin doit être après le début."),
        ("09:00:00", "09:30:00", 99999, "inférieure ou égale à 100"),
    ],
)
def test_a_slot_out_of_bounds_is_refused_in_words(
    admin_client, start, end, capacity, words
):
    form = slot_form(
        SiteFactory(), ProcedureFactory(), _working_day(10), start, end, capacity
    )
    response = admin_client.post("/admin/booking/slot/add/", form)
    assert words in response.content.decode()
    assert not Slot.objects.exists()
    assert Procedure.objects.count() == 1
