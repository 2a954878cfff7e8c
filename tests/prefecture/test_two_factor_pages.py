"""The pages between the password and the admin show nothing of the admin: no menu of
sections (it was drawn inside the login box), no recent actions."""

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from prefecture.two_factor import totp_enrolment_issue

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ADMIN_MENU_MARKS = ('id="nav-sidebar"', "nav_sidebar", "/admin/booking/slot/")


@pytest.fixture
def agent(django_user_model):
    return django_user_model.objects.create_user(
        "agent.accueil", password=PASSWORD, is_staff=True, is_superuser=True
    )


def _past_the_password(client, agent) -> None:
    response = client.post(
        "/admin/login/", {"username": agent.username, "password": PASSWORD}
    )
    assert response["Location"].startswith("/admin/verification/")


def _assert_login_step_page(response) -> None:
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class=" login"' in html  # the body of the login page
    for mark in ADMIN_MENU_MARKS:
        assert mark not in html, mark
    assert response.context["available_apps"] == []
    assert response.context["is_nav_sidebar_enabled"] is False


def test_code_page_has_no_admin_menu(client, agent):
    TOTPDevice.objects.create(user=agent, name="app", confirmed=True)
    _past_the_password(client, agent)
    _assert_login_step_page(client.get("/admin/verification/"))


def test_enrolment_page_has_no_admin_menu(client, agent):
    code, _grant = totp_enrolment_issue(user=agent, by=None, now=timezone.now())
    client.get(f"/admin/enrolement/{code}/")
    _past_the_password(client, agent)
    page = client.get("/admin/verification/")
    assert 'class="segno"' in page.content.decode()
    _assert_login_step_page(page)


def test_enrolment_code_page_has_no_admin_menu(client, agent):
    _past_the_password(client, agent)
    page = client.get("/admin/verification/")
    assert 'for="id_enrolment_code"' in page.content.decode()
    _assert_login_step_page(page)
