from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from django.utils import timezone

from booking.admin.confirm import selection_key
from booking.models import Booking, BookingEvent, ClosureDay, OutgoingMessage
from tests.agents import login_agent, login_role
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


def cancel_url(booking) -> str:
    return f"/admin/booking/booking/agenda/annuler/{booking.pk}/"


@pytest.fixture
def upcoming():
    """An appointment two hours ahead (today's 23:00 would have begun late in the
    evening, when an agent may no longer cancel it)."""
    return BookingFactory(
        slot=SlotFactory(starts_at=timezone.now() + timedelta(hours=2)),
        numero_etranger="2008006503",
    )


def test_cancel_on_behalf_tells_the_applicant_by_sms(admin_client, upcoming):
    page = admin_client.get(cancel_url(upcoming), {"back": "day=2026-11-30"})
    html = page.content.decode()
    # The confirmation names the appointment; a GET cancels nothing.
    assert upcoming.reference in html and "Diallo Awa" in html
    assert 'name="back" value="day=2026-11-30"' in html  # the filters, kept
    assert 'href="/admin/booking/booking/agenda/?day=2026-11-30"' in html
    upcoming.refresh_from_db()
    assert upcoming.status == Booking.Status.CONFIRMED
    response = admin_client.post(
        cancel_url(upcoming),
        {"message": "Guichet fermé, reprenez RDV en ligne.", "back": "day=2026-11-30"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/booking/booking/agenda/?day=2026-11-30"
    upcoming.refresh_from_db()
    assert upcoming.status == Booking.Status.CANCELLED
    assert list(upcoming.events.values_list("kind", "actor", "detail")) == [
        (
            BookingEvent.Kind.CANCELLED,
            "admin",
            {"message": "Guichet fermé, reprenez RDV en ligne."},
        )
    ]
    (sms,) = upcoming.messages.all()
    assert (sms.kind, sms.to) == (
        OutgoingMessage.Kind.BOOKING_CANCELLED,
        upcoming.mobile,
    )
    assert sms.body.endswith(" Guichet fermé, reprenez RDV en ligne.")
    assert len(sms.body) <= 160


def test_cancel_is_no_longer_one_click_on_the_agenda(admin_client, upcoming):
    day = timezone.localdate(upcoming.slot.starts_at).isoformat()
    html = agenda(admin_client, day=day).content.decode()
    assert 'value="cancel"' not in html
    assert f'href="{cancel_url(upcoming)}?back=' in html
    admin_client.post(
        "/admin/booking/booking/agenda/", {"booking": upcoming.pk, "do": "cancel"}
    )
    upcoming.refresh_from_db()
    assert upcoming.status == Booking.Status.CONFIRMED
    assert not upcoming.messages.exists()


def test_a_message_too_long_for_the_sms_is_refused_not_cut(admin_client, upcoming):
    response = admin_client.post(cancel_url(upcoming), {"message": "x" * 120})
    assert response.status_code == 200
    assert "Message trop long" in response.content.decode()
    upcoming.refresh_from_db()
    assert upcoming.status == Booking.Status.CONFIRMED
    assert not upcoming.messages.exists()


def test_cancel_confirmation_of_an_inactive_or_unknown_appointment(
    admin_client, upcoming
):
    Booking.objects.filter(pk=upcoming.pk).update(status=Booking.Status.HONOURED)
    response = admin_client.post(cancel_url(upcoming), {})
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert upcoming.status == Booking.Status.HONOURED
    assert (
        admin_client.get("/admin/booking/booking/agenda/annuler/999999999/").status_code
        == 302
    )
    # "back" never leads elsewhere
    response = admin_client.get(cancel_url(upcoming), {"back": "https://evil.example/"})
    assert response["Location"] == "/admin/booking/booking/agenda/"


def test_a_started_appointment_is_marked_not_cancelled_with_an_sms(admin_client):
    """Found walking the agents' day: Sunday's 14:00 appointment was cancelled at
    23:43, and its SMS ("votre RDV ... est annulé") queued for the next morning."""
    started = BookingFactory(
        slot=SlotFactory(starts_at=timezone.now() - timedelta(minutes=5))
    )
    day = timezone.localdate(started.slot.starts_at).isoformat()
    html = agenda(admin_client, day=day).content.decode()
    assert f'href="{cancel_url(started)}' not in html
    assert "Rendez-vous commencé ou passé : marquez l’usager présent ou absent" in html
    page = admin_client.get(cancel_url(started), follow=True).content.decode()
    assert "Rendez-vous commencé ou passé" in page
    admin_client.post(cancel_url(started), {"message": ""})
    admin_client.post(
        "/admin/booking/booking/",
        {
            "action": "cancel_bookings",
            "_selected_action": [started.pk],
            "post": "yes",
            "selection": selection_key([started.pk]),
        },
    )
    started.refresh_from_db()
    assert started.status == Booking.Status.CONFIRMED
    assert not started.messages.exists()


def button(html: str, value: str, booking) -> str:
    """The <button> of that action in the booking's row."""
    row = html.split(f'name="booking" value="{booking.pk}"', 1)[1]
    start = row.index(f'value="{value}"')
    return row[row.rindex("<button", 0, start) : row.index(">", start) + 1]


def test_tomorrows_appointment_cannot_be_checked_in_today(admin_client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, time(9, 0)))
    booking = BookingFactory(slot=SlotFactory(starts_at=start))
    html = agenda(admin_client, day=tomorrow.isoformat()).content.decode()
    assert "disabled" in button(html, "present", booking)
    assert "disabled" in button(html, "absent", booking)
    assert "se saisit à partir du jour du rendez-vous" in html
    response = admin_client.post(
        "/admin/booking/booking/agenda/",
        {"booking": booking.pk, "do": "present"},
        follow=True,
    )
    assert "se saisit à partir du jour du rendez-vous" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    admin_client.post(
        "/admin/booking/booking/agenda/", {"booking": booking.pk, "do": "absent"}
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_today_present_yes_absent_only_once_ended(admin_client, today_booking):
    html = agenda(admin_client).content.decode()
    assert "disabled" not in button(html, "present", today_booking)
    if timezone.now() < today_booking.slot.ends_at:  # 23:30 today
        assert "disabled" in button(html, "absent", today_booking)
        assert "une fois le rendez-vous terminé (après 23:30)" in html
    past = BookingFactory(
        slot=SlotFactory(starts_at=timezone.now() - timedelta(days=1))
    )
    day = timezone.localdate(past.slot.starts_at).isoformat()
    html = agenda(admin_client, day=day).content.decode()
    assert "disabled" not in button(html, "present", past)
    assert "disabled" not in button(html, "absent", past)


def test_undo_a_check_in_recorded_today(admin_client, today_booking):
    url = "/admin/booking/booking/agenda/"
    admin_client.post(url, {"booking": today_booking.pk, "do": "present"})
    html = agenda(admin_client).content.decode()
    assert "disabled" not in button(html, "undo", today_booking)
    assert "Annuler la saisie" in html
    admin_client.post(url, {"booking": today_booking.pk, "do": "undo"})
    today_booking.refresh_from_db()
    assert today_booking.status == Booking.Status.CONFIRMED
    assert list(
        today_booking.events.order_by("pk").values_list("kind", "actor", "detail")
    ) == [
        ("honoured", "admin", {}),
        ("honoured", "admin", {"undo": True, "status": "confirmed"}),
    ]


def test_undo_disabled_for_an_entry_of_another_day(admin_client, today_booking):
    url = "/admin/booking/booking/agenda/"
    admin_client.post(url, {"booking": today_booking.pk, "do": "present"})
    today_booking.events.update(at=timezone.now() - timedelta(days=2))
    html = agenda(admin_client).content.decode()
    assert "disabled" in button(html, "undo", today_booking)
    assert "le jour où elle a été faite" in html
    admin_client.post(url, {"booking": today_booking.pk, "do": "undo"})
    today_booking.refresh_from_db()
    assert today_booking.status == Booking.Status.HONOURED


def test_instruction_cannot_open_the_cancel_confirmation(
    client, django_user_model, today_booking
):
    login_role(client, "instruction")
    assert client.get(cancel_url(today_booking)).status_code == 403
    assert client.post(cancel_url(today_booking), {}).status_code == 403
    html = agenda(client).content.decode()
    assert "Annuler (prévient" not in html and "Annuler la saisie" not in html


def test_csv_export(admin_client, today_booking):
    response = agenda(admin_client, format="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode()
    assert today_booking.reference in text
    # French Excel's double click: UTF-8 with its mark, semicolons (found walking the
    # agents' day: one column, "PrÃ©fecture").
    assert text.startswith("\ufeffheure;lieu;demarche;")


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


def test_names_are_found_as_a_counter_agent_types_them(admin_client):
    """Found walking the agents' day: "Traore", "Joao", "silva joão" found nothing
    (a passport's machine-readable line has no accents)."""
    start = timezone.now() + timedelta(hours=1)
    booking = BookingFactory(
        slot=SlotFactory(starts_at=start), last_name="Traoré", first_name="João"
    )
    day = timezone.localdate(start).isoformat()
    for query in ["Traore", "joao", "TRAORÉ JOAO", "joão traore", "rao"]:
        html = agenda(admin_client, day=day, q=query).content.decode()
        assert booking.reference in html, query
    assert (
        booking.reference
        not in agenda(admin_client, day=day, q="Diallo").content.decode()
    )
    assert (
        booking.reference not in agenda(admin_client, day=day, q="'-").content.decode()
    )


def test_a_reference_searched_on_the_wrong_day_says_its_day(admin_client):
    """Found walking the agents' day: "WK0627FB" on today's agenda, "Aucun
    rendez-vous", while it was on Tuesday."""
    later = timezone.now() + timedelta(days=2)
    booking = BookingFactory(slot=SlotFactory(starts_at=later), reference="WK0627FB")
    html = agenda(admin_client, q="wk0627fb").content.decode()
    day = timezone.localdate(later)
    assert "Trouvé à une autre date" in html
    assert f'href="?day={day.isoformat()}&amp;q=wk0627fb"' in html
    shown = agenda(admin_client, day=day.isoformat(), q="wk0627fb").content.decode()
    assert booking.last_name in shown and "Trouvé à une autre date" not in shown


def test_a_closed_day_says_so_above_its_appointments(admin_client):
    """Found walking the agents' day: the kept appointments of a closed Monday were
    shown as any other day's."""
    later = timezone.now() + timedelta(days=2)
    booking = BookingFactory(slot=SlotFactory(starts_at=later))
    ClosureDay.objects.create(
        site=booking.slot.site,
        day=timezone.localdate(later),
        reason="Panne informatique",
    )
    html = agenda(admin_client, day=timezone.localdate(later).isoformat()).content
    text = html.decode()
    assert f"Fermeture ce jour-là : {booking.slot.site.name}, toute la journée." in text
    assert "Panne informatique" in text
