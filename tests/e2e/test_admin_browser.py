"""An agent's first login in a real browser: the enrolment link, the password, setting
up the authenticator app from the QR page, then the admin; axe-core on the agents'
own pages."""

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from booking.models import Booking
from prefecture.two_factor import totp_enrolment_issue, totp_now
from tests.e2e.conftest import assert_no_serious_axe_violations
from tests.factories import BookingFactory

pytestmark = pytest.mark.browser


def test_the_password_alone_leads_to_the_enrolment_code_page(page, django_user_model):
    django_user_model.objects.create_user(
        "nouvel.agent", password="mot de passe solide 46", is_staff=True
    )
    page.goto("/admin/")
    page.fill("#id_username", "nouvel.agent")
    page.fill("#id_password", "mot de passe solide 46")
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Double authentification à mettre en place")
    expect(page.locator("svg.segno")).to_have_count(0)
    page.get_by_label("Code d'enrôlement").fill("ABCD-EFGH-JKLM-NPQR-STUV")
    page.keyboard.press("Enter")
    expect(page.locator("#id_enrolment_code_error")).to_contain_text(
        "n'est pas valable"
    )
    assert_no_serious_axe_violations(page)


def test_first_login_with_the_keyboard_then_agenda_and_statistics(
    page, django_user_model
):
    cheffe = django_user_model.objects.create_user(
        "cheffe", password="mot de passe solide 45", is_staff=True, is_superuser=True
    )
    code, _grant = totp_enrolment_issue(user=cheffe, by=None, now=timezone.now())
    BookingFactory(status=Booking.Status.CONFIRMED)
    # The enrolment link a superuser handed over leads to the password first.
    page.goto(f"/admin/enrolement/{code}/")
    page.fill("#id_username", "cheffe")
    page.fill("#id_password", "mot de passe solide 45")
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text(
        "Mise en place de la double authentification"
    )
    expect(page.locator("svg.segno")).to_be_visible()
    assert_no_serious_axe_violations(page)
    device = TOTPDevice.objects.get(user__username="cheffe")
    page.get_by_label("Code à 6 chiffres").fill(totp_now(device))
    page.keyboard.press("Enter")

    expect(page.locator("#site-name")).to_contain_text("espace agents")
    for path in [
        "/admin/",
        "/admin/booking/booking/agenda/",
        "/admin/booking/booking/statistiques/",
    ]:
        page.goto(path)
        assert_no_serious_axe_violations(page)
