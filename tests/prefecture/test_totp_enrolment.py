"""An agent's first TOTP set-up (new account, or lost phone once the device is deleted)
needs a single-use enrolment code a superuser issued, not the password alone; the
session between the password and the code lives minutes."""

import logging
import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from prefecture.models import TotpEnrolmentGrant
from prefecture.two_factor import (
    EnrolmentCodeInvalid,
    EnrolmentRefused,
    enrolment_code_hash,
    totp_enrolment_complete,
    totp_enrolment_issue,
    totp_now,
)
from tests.agents import login_agent

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
REFUSED = "n&#x27;est pas valable"


@pytest.fixture
def agent(django_user_model):
    return django_user_model.objects.create_user(
        "agent.nouveau", password=PASSWORD, is_staff=True
    )


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_user(
        "cheffe", password=PASSWORD, is_staff=True, is_superuser=True
    )


def sign_in(client: Client, username: str = "agent.nouveau"):
    return client.post("/admin/login/", {"username": username, "password": PASSWORD})


def issue(agent, *, hours_ago: float = 0) -> str:
    code, _grant = totp_enrolment_issue(
        user=agent, by=None, now=timezone.now() - timedelta(hours=hours_ago)
    )
    return code


def enrol(client: Client, agent) -> object:
    """Types the code the freshly scanned app shows; returns the response."""
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    return client.post("/admin/verification/", {"code": totp_now(device)})


def test_the_password_alone_shows_no_qr_and_says_to_ask_a_superuser(client, agent):
    sign_in(client)
    page = client.get("/admin/verification/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Double authentification à mettre en place" in html
    assert "superutilisateur" in html
    assert "segno" not in html and "second-factor-secret" not in html
    # Neither a TOTP code nor a made-up enrolment code gets further.
    client.post("/admin/verification/", {"code": "123456"})
    refused = client.post("/admin/verification/", {"enrolment_code": "ABCD-EFGH"})
    assert REFUSED in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert client.get("/admin/").status_code == 302


def test_a_link_enrols_once_then_no_more(agent):
    code = issue(agent)
    client = Client()
    link = client.get(f"/admin/enrolement/{code}/")
    assert link["Location"] == "/admin/verification/"
    assert client.get(link["Location"])["Location"] == "/admin/login/"
    assert sign_in(client)["Location"].startswith("/admin/verification/")
    assert "segno" in client.get("/admin/verification/").content.decode()
    assert enrol(client, agent)["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    grant = TotpEnrolmentGrant.objects.get(user=agent)
    assert grant.used_at is not None
    assert TOTPDevice.objects.get(user=agent).confirmed

    # Phone lost, device deleted: the used link does not set up another one.
    TOTPDevice.objects.filter(user=agent).delete()
    again = Client()
    again.get(f"/admin/enrolement/{code}/")
    sign_in(again)
    page = again.get("/admin/verification/").content.decode()
    assert REFUSED in page and "segno" not in page
    assert not TOTPDevice.objects.filter(user=agent).exists()


def test_a_code_typed_by_hand_enrols(client, agent):
    code = issue(agent)
    sign_in(client)
    typed = code.lower().replace("-", " ")
    response = client.post(
        "/admin/verification/?next=/admin/booking/booking/",
        {"enrolment_code": typed},
    )
    assert response["Location"] == "/admin/verification/?next=/admin/booking/booking/"
    assert "segno" in client.get(response["Location"]).content.decode()
    assert enrol(client, agent).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_expired_code_is_refused(client, agent):
    code = issue(agent, hours_ago=django_settings.AGENT_TOTP_ENROLMENT_HOURS + 0.01)
    sign_in(client)
    page = client.post("/admin/verification/", {"enrolment_code": code})
    assert REFUSED in page.content.decode()
    assert not TOTPDevice.objects.filter(user=agent).exists()


def test_a_code_still_young_enough_is_accepted(client, agent):
    code = issue(agent, hours_ago=django_settings.AGENT_TOTP_ENROLMENT_HOURS - 0.01)
    sign_in(client)
    client.post("/admin/verification/", {"enrolment_code": code})
    assert "segno" in client.get("/admin/verification/").content.decode()


def test_a_new_code_supersedes_the_old_one_and_its_secret(client, agent):
    first = issue(agent)
    sign_in(client)
    client.post("/admin/verification/", {"enrolment_code": first})
    client.get("/admin/verification/")  # the QR of the first code was shown
    seen = TOTPDevice.objects.get(user=agent)

    second = issue(agent)
    # The device half set up with the first code is gone: its secret was shown.
    assert not TOTPDevice.objects.filter(pk=seen.pk).exists()
    refused = client.post("/admin/verification/", {"code": totp_now(seen)})
    page = refused.content.decode()
    assert REFUSED in page and "segno" not in page
    again = client.post("/admin/verification/", {"enrolment_code": first})
    assert REFUSED in again.content.decode()

    client.post("/admin/verification/", {"enrolment_code": second})
    client.get("/admin/verification/")
    assert enrol(client, agent).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert [g.revoked_at is None for g in TotpEnrolmentGrant.objects.all()] == [
        True,
        False,
    ]


def test_a_code_superseded_while_the_qr_is_shown_does_not_confirm(client, agent):
    code = issue(agent)
    client.get(f"/admin/enrolement/{code}/")
    sign_in(client)
    client.get("/admin/verification/")
    device = TOTPDevice.objects.get(user=agent)
    # Another tab of the agent, or a superuser who reissues: the device is kept
    # but the code no longer valid when the TOTP code arrives.
    TotpEnrolmentGrant.objects.update(revoked_at=timezone.now())
    client.post("/admin/verification/", {"code": totp_now(device)})
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/admin/").status_code == 302


def test_completing_with_a_revoked_code_confirms_nothing(agent):
    code = issue(agent)
    device = TOTPDevice.objects.create(user=agent, name="app", confirmed=False)
    TotpEnrolmentGrant.objects.update(revoked_at=timezone.now())
    with pytest.raises(EnrolmentCodeInvalid):
        totp_enrolment_complete(
            user=agent,
            device=device,
            code_hash=enrolment_code_hash(code),
            now=timezone.now(),
        )
    device.refresh_from_db()
    assert not device.confirmed
    assert TotpEnrolmentGrant.objects.get().used_at is None


def test_another_agents_code_is_refused(client, agent, django_user_model):
    other = django_user_model.objects.create_user("autre", is_staff=True)
    code = issue(other)
    client.get(f"/admin/enrolement/{code}/")
    sign_in(client)
    page = client.get("/admin/verification/").content.decode()
    assert REFUSED in page and "segno" not in page
    assert TotpEnrolmentGrant.objects.get().used_at is None


def test_only_the_hash_is_stored(agent):
    code = issue(agent)
    grant = TotpEnrolmentGrant.objects.get()
    assert grant.code_hash == enrolment_code_hash(code) and code not in grant.code_hash
    assert len(code.replace("-", "")) == 20
    assert grant.expires_at - grant.issued_at == timedelta(hours=24)


def test_issuing_is_refused_to_non_superusers_and_for_agents_with_a_device(
    agent, django_user_model
):
    staff = django_user_model.objects.create_user("chef", is_staff=True)
    with pytest.raises(EnrolmentRefused):
        totp_enrolment_issue(user=agent, by=staff, now=timezone.now())
    TOTPDevice.objects.create(user=agent, name="app", confirmed=True)
    with pytest.raises(EnrolmentRefused):
        totp_enrolment_issue(user=agent, by=None, now=timezone.now())
    citizen = django_user_model.objects.create_user("pas.agent")
    with pytest.raises(EnrolmentRefused):
        totp_enrolment_issue(user=citizen, by=None, now=timezone.now())
    assert not TotpEnrolmentGrant.objects.exists()


def test_one_outstanding_code_per_agent_in_the_database(agent):
    issue(agent)
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        TotpEnrolmentGrant.objects.create(
            user=agent,
            code_hash="0" * 64,
            issued_at=now,
            expires_at=now + timedelta(hours=1),
        )


def test_a_superuser_issues_a_link_from_the_users_list(client, agent, superuser):
    login_agent(client, superuser)
    response = client.post(
        "/admin/auth/user/",
        {"action": "issue_totp_enrolment", "_selected_action": [agent.pk]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert "Liens d&#x27;enrôlement TOTP" in html
    grant = TotpEnrolmentGrant.objects.get(user=agent)
    assert grant.issued_by == superuser
    link = html.split("http://testserver/admin/enrolement/")[1].split("/")[0]
    assert enrolment_code_hash(link) == grant.code_hash

    newcomer = Client()
    newcomer.get(f"/admin/enrolement/{link}/")
    sign_in(newcomer)
    assert "segno" in newcomer.get("/admin/verification/").content.decode()


def test_the_action_reports_agents_who_already_have_an_app(client, superuser):
    login_agent(client, superuser)
    response = client.post(
        "/admin/auth/user/",
        {"action": "issue_totp_enrolment", "_selected_action": [superuser.pk]},
        follow=True,
    )
    assert "a déjà une application" in response.content.decode()
    assert not TotpEnrolmentGrant.objects.exists()


def test_a_staff_member_who_may_manage_users_cannot_issue(
    client, agent, django_user_model
):
    chef = django_user_model.objects.create_user("chef", is_staff=True)
    chef.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    login_agent(client, chef)
    listing = client.get("/admin/auth/user/").content.decode()
    assert "issue_totp_enrolment" not in listing
    client.post(
        "/admin/auth/user/",
        {"action": "issue_totp_enrolment", "_selected_action": [agent.pk]},
    )
    assert not TotpEnrolmentGrant.objects.exists()
    assert client.get("/admin/prefecture/totpenrolmentgrant/").status_code == 403


def test_the_command_prints_a_working_link(agent, capsys):
    call_command("totp_enrolment", agent.username)
    link = capsys.readouterr().out.splitlines()[0]
    path = link.removeprefix(django_settings.PUBLIC_BASE_URL)
    assert path.startswith("/admin/enrolement/")
    client = Client()
    client.get(path)
    sign_in(client)
    assert "segno" in client.get("/admin/verification/").content.decode()
    with pytest.raises(CommandError):
        call_command("totp_enrolment", "personne")


def test_issuing_and_using_a_code_are_logged_without_the_code(
    client, agent, superuser, caplog
):
    caplog.set_level(logging.INFO, logger="prefecture")
    code, _grant = totp_enrolment_issue(user=agent, by=superuser, now=timezone.now())
    client.get(f"/admin/enrolement/{code}/")
    sign_in(client)
    client.get("/admin/verification/")
    enrol(client, agent)
    messages = [
        r.getMessage() for r in caplog.records if r.name.startswith("prefecture")
    ]
    assert any("issued for agent.nouveau by cheffe" in m for m in messages)
    assert any("used by agent.nouveau" in m for m in messages)
    assert not any(code in m or enrolment_code_hash(code) in m for m in messages)


def cookie_age(response) -> int:
    return int(response.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"])


def test_the_half_logged_in_session_lives_minutes_then_the_idle_window(
    client, agent, settings
):
    settings.AGENT_SECOND_FACTOR_MINUTES = 10
    settings.AGENT_IDLE_MINUTES = 30
    device = TOTPDevice.objects.create(user=agent, name="app", confirmed=True)
    password_step = sign_in(client)
    assert 9 * 60 < cookie_age(password_step) <= 10 * 60
    # Requests before the code do not push the deadline forward.
    deadline = client.session.get_expiry_date()
    client.get("/admin/verification/")
    client.post("/admin/verification/", {"code": "000000"})
    assert client.session.get_expiry_date() == deadline
    assert client.session.get_expiry_age() <= 10 * 60

    device.throttle_reset()  # django-otp's delay after the wrong code
    before = client.session.session_key
    verified = client.post("/admin/verification/", {"code": totp_now(device)})
    assert cookie_age(verified) == 30 * 60
    assert client.session.session_key != before
    assert client.get("/admin/").status_code == 200


def test_a_half_logged_in_session_without_a_deadline_gets_one(client, agent, settings):
    # A session logged in some other way than the login page still gets the limit.
    settings.AGENT_SECOND_FACTOR_MINUTES = 10
    client.force_login(agent)
    response = client.get("/admin/verification/")
    assert 9 * 60 < cookie_age(response) <= 10 * 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_issues_leave_one_outstanding_code(agent):
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def run():
        try:
            barrier.wait()
            totp_enrolment_issue(user=agent, by=None, now=timezone.now())
        except Exception as error:  # the test inspects it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert TotpEnrolmentGrant.objects.count() == 8
    outstanding = TotpEnrolmentGrant.objects.filter(used_at=None, revoked_at=None)
    assert outstanding.count() == 1
