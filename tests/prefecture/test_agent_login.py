"""Agents' accounts: password, then TOTP code; lockout; idle expiry; no sign-up."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from prefecture.two_factor import totp_enrolment_issue, totp_now
from tests.agents import login_agent
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def agent(django_user_model):
    return django_user_model.objects.create_user(
        "agent.accueil", password=PASSWORD, is_staff=True, is_superuser=True
    )


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(
        "/admin/login/?next=/admin/booking/booking/",
        {"username": username, "password": password},
        **extra,
    )


def test_the_password_alone_opens_nothing(client, agent):
    response = sign_in(client, agent.username)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/verification/")
    # Every admin page sends back to the login, which sends to the code page.
    page = client.get("/admin/booking/booking/")
    assert page.status_code == 302 and page["Location"].startswith("/admin/login/")
    assert client.get(page["Location"])["Location"].startswith("/admin/verification/")


def test_first_login_sets_up_the_app_then_opens_the_admin(client, agent):
    code, _grant = totp_enrolment_issue(user=agent, by=None, now=timezone.now())
    client.get(f"/admin/enrolement/{code}/")  # the link a superuser handed over
    sign_in(client, agent.username)
    setup = client.get("/admin/verification/?next=/admin/booking/booking/")
    html = setup.content.decode()
    assert 'class="segno"' in html and 'for="id_code"' in html
    device = TOTPDevice.objects.get(user=agent)
    assert not device.confirmed

    wrong = client.post("/admin/verification/", {"code": "000000"})
    assert "Ce code n&#x27;est pas le bon" in wrong.content.decode()
    assert client.get("/admin/booking/booking/").status_code == 302

    # The same secret until confirmed: reloading does not invalidate the scanned QR.
    client.get("/admin/verification/")
    assert TOTPDevice.objects.filter(user=agent).count() == 1
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(
        "/admin/verification/",
        {"code": totp_now(device), "next": "/admin/booking/booking/"},
    )
    assert response["Location"] == "/admin/booking/booking/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/booking/booking/").status_code == 200


def test_next_login_asks_for_the_code_and_refuses_a_replayed_one(agent):
    device = TOTPDevice.objects.create(user=agent, name="app", confirmed=True)
    first = Client()
    sign_in(first, agent.username)
    page = first.get("/admin/verification/").content.decode()
    assert "segno" not in page  # no new secret shown once an app is set up
    code = totp_now(device)
    assert first.post("/admin/verification/", {"code": code}).status_code == 302
    assert first.get("/admin/").status_code == 200

    second = Client()
    sign_in(second, agent.username)
    replay = second.post("/admin/verification/", {"code": code})
    assert replay.status_code == 200
    assert second.get("/admin/").status_code == 302


def test_garbage_codes_get_a_message_not_an_error(client, agent):
    TOTPDevice.objects.create(user=agent, name="app", confirmed=True)
    sign_in(client, agent.username)
    for code in ["", "abc", "1" * 19, "12345"]:
        response = client.post("/admin/verification/", {"code": code})
        assert response.status_code == 200
        assert 'aria-invalid="true"' in response.content.decode()
    # a NUL is refused at the edge (prefecture/middleware.py)
    assert client.post("/admin/verification/", {"code": "\x00"}).status_code == 400


def test_the_code_page_refuses_an_outside_next(client, agent):
    device = TOTPDevice.objects.create(user=agent, name="app", confirmed=True)
    sign_in(client, agent.username)
    response = client.post(
        "/admin/verification/",
        {"code": totp_now(device), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/admin/"


def test_code_page_without_a_password_goes_to_the_login(client):
    response = client.get("/admin/verification/")
    assert response["Location"] == "/admin/login/"


def test_repeated_wrong_passwords_lock_the_account_from_that_address(client, agent):
    for _ in range(4):
        assert sign_in(client, agent.username, "wrong").status_code == 200
    assert sign_in(client, agent.username, "wrong").status_code == 429  # the fifth
    locked = sign_in(client, agent.username)
    assert locked.status_code == 429
    assert "Connexion bloquée" in locked.content.decode()
    # Counted in the database, which every web process shares.
    assert AccessAttempt.objects.get(username=agent.username).failures_since_start >= 5
    # The agent at another desk (another address) is not locked out by it.
    elsewhere = sign_in(Client(), agent.username, REMOTE_ADDR="10.0.0.9")
    assert elsewhere.status_code == 302


def test_the_lockout_page_speaks_english_too(client, agent):
    client.cookies["django_language"] = "en"
    for _ in range(6):
        response = sign_in(client, agent.username, "wrong")
    assert response.status_code == 429
    assert "Login blocked" in response.content.decode()


def test_an_agent_session_ends_after_inactivity(client, agent, settings):
    settings.AGENT_IDLE_MINUTES = 30
    login_agent(client, agent)
    assert client.get("/admin/").status_code == 200
    assert client.session.get_expiry_age() == 30 * 60
    # Thirty minutes without a request: the stored session has expired.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(
        "/admin/login/"
    )


def test_each_request_pushes_the_expiry_forward(client, agent):
    login_agent(client, agent)
    client.get("/admin/")
    first = Session.objects.get().expire_date
    Session.objects.update(expire_date=first - timedelta(minutes=20))
    client.get("/admin/")
    assert Session.objects.get().expire_date >= first


def test_no_sign_up(client):
    assert client.get("/admin/auth/user/add/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/register/").status_code in {302, 404}
    add_user = Permission.objects.get(codename="add_user")
    for group in Group.objects.filter(
        name__in=["accueil", "instruction", "encadrement"]
    ):
        assert add_user not in group.permissions.all()


def test_an_unverified_agent_does_not_preview_unpublished_faq(client, agent):
    QuestionFactory(slug="brouillon", is_published=False)
    sign_in(client, agent.username)
    assert client.get("/faq/brouillon/").status_code == 404


def test_demo_agent_gets_a_totp_secret_and_a_working_code(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "TOTP secret" in out
    client = Client()
    sign_in(client, "agent.demo", "demo-loiret-2026")
    call_command("totp_code", "agent.demo")
    code = capsys.readouterr().out.strip()
    assert client.post("/admin/verification/", {"code": code}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_code_command_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("totp_code", "agent.demo")


def test_the_admin_is_in_french_with_english_available(admin_client):
    french = admin_client.get("/admin/").content.decode()
    assert 'lang="fr"' in french and "Tableau de bord" in french
    assert 'name="language"' in french  # the switch, on every admin page
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    english = admin_client.get("/admin/").content.decode()
    assert 'lang="en"' in english and "Dashboard" in english and "Log out" in english


def test_admin_home_links_the_daily_pages_a_role_may_use(client, django_user_model):
    user = django_user_model.objects.create_user("a", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="accueil"))
    html = login_agent(client, user).get("/admin/").content.decode()
    assert "/admin/booking/booking/agenda/" in html
    assert "/admin/booking/card/remise/" in html
    assert "/admin/booking/booking/statistiques/" not in html
