from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from django.utils import timezone

from booking.models import Booking, BookingEvent, OutgoingMessage
from tests.agents import login_agent
from tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def today_booking():
    start = timezone.localtime().replace(hour=23, minute=0, second=0, microsecond=0)
    return BookingFactory(
        slot=SlotFactory(starts_at=start), numero_etranger="2008006503"
    )


def agenda(client, **params):
    return client.get("/admin/booking/booking/agenda/", params)


def test_the_day_agenda_lists_appointments_and_searches_any_notation(
    admin_client, today_booking
):
    html = agenda(admin_client).content.decode()
    assert today_booking.reference in html and "Diallo" in html
    assert (
        today_booking.reference
        in agenda(admin_client, q="208 006 503").content.decode()
    )
    assert (
        today_booking.reference not in agenda(admin_client, q="Martin").content.decode()
    )


def test_check_in_no_show_and_flag_are_recorded(
    admin_client, today_booking, admin_user
):
    url = "/admin/booking/booking/agenda/"
    admin_client.post(
        url, {"booking": today_booking.pk, "do": "flag", "note": "numéro d'un tiers"}
    )
    admin_client.post(url, {"booking": today_booking.pk, "do": "present"})
    today_booking.refresh_from_db()
    assert today_booking.status == Booking.Status.HONOURED
    assert (
        today_booking.suspicious_numero
        and today_booking.agent_note == "numéro d'un tiers"
    )
    kinds = list(BookingEvent.objects.values_list("kind", "actor"))
    assert ("flagged", admin_user.username) in kinds and (
        "honoured",
        admin_user.username,
    ) in kinds


def test_cancel_on_behalf_tells_the_applicant_by_sms(admin_client, today_booking):
    admin_client.post(
        "/admin/booking/booking/agenda/", {"booking": today_booking.pk, "do": "cancel"}
    )
    today_booking.refresh_from_db()
    assert today_booking.status == Booking.Status.CANCELLED
    assert list(today_booking.events.values_list("kind", "actor")) == [
        (BookingEvent.Kind.CANCELLED, "admin")
    ]
    assert list(today_booking.messages.values_list("kind", "to")) == [
        (OutgoingMessage.Kind.BOOKING_CANCELLED, today_booking.mobile)
    ]


def test_csv_export(admin_client, today_booking):
    response = agenda(admin_client, format="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert today_booking.reference in response.content.decode()


def test_bad_parameters_give_the_page_not_an_error(admin_client):
    assert agenda(admin_client, day="2026-02-30", site="²", q="ab").status_code == 200
    # a NUL is refused at the edge (prefecture/middleware.py)
    assert agenda(admin_client, q="\x00").status_code == 400
    response = admin_client.post(
        "/admin/booking/booking/agenda/", {"booking": "x", "do": "?"}
    )
    assert response.status_code == 302


def test_instruction_sees_the_agenda_but_cannot_act(
    client, django_user_model, today_booking
):
    user = django_user_model.objects.create_user(
        "instr", password="x" * 16, is_staff=True
    )
    user.groups.add(Group.objects.get(name="instruction"))
    login_agent(client, user)
    assert agenda(client).status_code == 200
    response = client.post(
        "/admin/booking/booking/agenda/", {"booking": today_booking.pk, "do": "present"}
    )
    assert response.status_code == 403


def test_the_agenda_prints_without_menus_and_buttons(admin_client, today_booking):
    html = agenda(admin_client).content.decode()
    assert "site/admin.css" in html and 'class="agenda-actions"' in html
    css = Path(finders.find("site/admin.css")).read_text(encoding="utf-8")
    rules = css.split("@media print", 1)[1]
    assert (
        "#header" in rules and ".agenda-actions" in rules and "display: none" in rules
    )
