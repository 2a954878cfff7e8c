"""A booking whose mobile is outside SMS_ALLOWED_REGIONS (the contact form took it
only with an e-mail address): the manage link sent again and the one-time code go by
e-mail, within the same daily limits, never by SMS to that number; without an
address, nothing is sent and the pages send the holder to the front desk."""

import logging
import re

import pytest
from django.test import Client
from django.utils import timezone

from booking.manage_links import manage_path
from booking.models import Booking, OutgoingMessage
from booking.services.notices import booking_link_resend
from booking.sms import locmem
from tests.booking.flow import IDENTITY, pass_gate
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

Kind = OutgoingMessage.Kind
UK_MOBILE = "+447911123456"
HINT = "a•••@example.org"


@pytest.fixture
def abroad(renewal, title):
    """The applicant of tests.booking.flow.IDENTITY, booked with a UK mobile."""
    return BookingFactory(
        numero_etranger="2008006503",
        procedure=renewal,
        mobile=UK_MOBILE,
        email="awa@example.org",
    )


def identity_page(renewal, capture) -> str:
    stranger = Client()
    pass_gate(stranger, renewal)
    with capture(execute=True):
        response = stranger.post("/rendez-vous/identite/", IDENTITY)
    return response.content.decode()


def no_sms(booking: Booking) -> None:
    assert not booking.messages.filter(channel=OutgoingMessage.Channel.SMS).exists()
    assert not [sms for sms in locmem.outbox if sms.to == UK_MOBILE]


def test_identity_step_resends_the_link_by_email_within_the_limit(
    renewal, abroad, django_capture_on_commit_callbacks, settings, mailoutbox
):
    settings.BOOKING_LINK_RESENDS_PER_DAY = 2
    for _ in range(2):
        page = identity_page(renewal, django_capture_on_commit_callbacks)
        assert f"nous venons de renvoyer le lien de gestion à {HINT}" in page
        assert abroad.reference not in page and "awa@example.org" not in page
    page = identity_page(renewal, django_capture_on_commit_callbacks)
    assert f"déjà été renvoyé récemment à {HINT}" in page
    assert "dernier courriel reçu" in page
    rows = abroad.messages.all()
    assert [(m.kind, m.channel, m.to, m.status) for m in rows] == 2 * [
        (Kind.BOOKING_LINK_RESENT_EMAIL, "email", "awa@example.org", "sent")
    ]
    no_sms(abroad)
    assert len(mailoutbox) == 2
    email = mailoutbox[0]
    assert email.to == ["awa@example.org"]
    assert email.body.startswith("Préfecture du Loiret : ")
    assert manage_path(abroad) in email.body
    assert "Awa" not in email.body + email.subject
    assert "Diallo" not in email.body + email.subject


def test_the_agent_resend_goes_by_email_too(abroad, mailoutbox, settings):
    settings.BOOKING_LINK_RESENDS_PER_DAY_AGENT = 1
    sent = booking_link_resend(booking_id=abroad.pk, now=abroad.created_at, by="agent")
    assert (sent.channel, sent.to) == ("email", "awa@example.org")
    assert not booking_link_resend(
        booking_id=abroad.pk, now=abroad.created_at, by="agent"
    )
    assert abroad.messages.get().kind == Kind.BOOKING_LINK_RESENT_EMAIL
    no_sms(abroad)


def test_the_holder_cancels_with_the_code_read_from_the_email(
    client, abroad, django_capture_on_commit_callbacks, mailoutbox, caplog
):
    path = manage_path(abroad)
    page = client.get(path).content.decode()
    assert f"un code à 6 chiffres par courriel à {HINT}" in page
    assert "Recevoir le code par courriel" in page and "par SMS" not in page
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(path, {"send": "1"}).content.decode()
    assert f"Un code à 6 chiffres vient d’être envoyé par courriel à {HINT}" in page
    message = abroad.messages.get()
    assert (message.kind, message.channel, message.status) == (
        Kind.BOOKING_MANAGE_CODE_EMAIL,
        "email",
        "sent",
    )
    (email,) = mailoutbox
    assert email.to == ["awa@example.org"]
    assert email.body.startswith("Préfecture du Loiret : ")
    code = re.search(r"rendez-vous est (\d{6})\.", email.body).group(1)
    assert code not in caplog.text  # the code is in no log line
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page = client.post(path, {"code": wrong}).content.decode()
    assert "Vérifiez le dernier courriel reçu" in page
    assert client.post(path, {"code": code}).status_code == 302
    page = client.post(path + "annuler/", follow=True).content.decode()
    assert "Votre rendez-vous est annulé." in page
    abroad.refresh_from_db()
    assert abroad.status == Booking.Status.CANCELLED
    # The cancellation SMS is recorded refused, never sent (issue 13's region rule).
    assert set(abroad.messages.filter(channel="sms").values_list("kind", "status")) == {
        (Kind.BOOKING_CANCELLED, "refused")
    }
    assert not [sms for sms in locmem.outbox if sms.to == UK_MOBILE]


def test_code_emails_keep_the_daily_limit(
    client, abroad, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.BOOKING_MANAGE_CODES_PER_DAY = 2
    path = manage_path(abroad)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(path, {"send": "1"}).content.decode()
        assert "vient d’être envoyé par courriel" in page
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(path, {"send": "1"}).content.decode()
    assert "déjà demandé plusieurs codes" in page
    assert abroad.messages.filter(kind=Kind.BOOKING_MANAGE_CODE_EMAIL).count() == 2
    assert len(mailoutbox) == 2
    no_sms(abroad)


def test_without_an_email_nothing_is_sent_and_the_front_desk_is_the_way(
    client, renewal, abroad, django_capture_on_commit_callbacks, mailoutbox
):
    Booking.objects.filter(pk=abroad.pk).update(email="")  # an older row
    page = identity_page(renewal, django_capture_on_commit_callbacks)
    assert "contactez l’accueil de la préfecture" in page
    assert "nous venons de renvoyer" not in page and abroad.reference not in page
    path = manage_path(abroad)
    page = client.get(path).content.decode()
    assert "Nous ne pouvons pas vous envoyer de code" in page
    assert 'name="send"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(path, {"send": "1"}).content.decode()
    assert "contactez l’accueil de la préfecture" in page
    assert not abroad.messages.exists() and mailoutbox == []
    no_sms(abroad)


def test_the_agenda_says_where_the_link_went_or_why_not(admin_client, abroad):
    day = timezone.localtime(abroad.slot.starts_at).date()
    agenda = f"/admin/booking/booking/agenda/?day={day:%Y-%m-%d}"
    action = {"booking": abroad.pk, "do": "resend_link"}
    page = admin_client.post(agenda, action, follow=True).content.decode()
    assert "Lien de gestion renvoyé par courriel." in page
    Booking.objects.filter(pk=abroad.pk).update(email="")
    page = admin_client.post(agenda, action, follow=True).content.decode()
    assert "le portable n’est pas français et aucune adresse" in page
    no_sms(abroad)
