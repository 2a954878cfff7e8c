"""Proof of work on the confirmation step (ALTCHA, self-hosted)."""

import base64

import pytest
from django.core.exceptions import ValidationError

from booking.models import Booking
from tests.booking.flow import CONTACT, hold, solved_proof
from tests.factories import ProcedureFactory, SlotFactory, TitleRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(client):
    procedure = ProcedureFactory()
    slot = SlotFactory(procedure=procedure, capacity=5)
    TitleRecordFactory(numero_etranger="2008006503", valid_until="2028-03-31")
    hold(client, procedure, slot)
    return client


def test_the_confirmation_page_carries_a_self_hosted_challenge(ready):
    page = ready.get("/rendez-vous/coordonnees/").content.decode()
    assert "<altcha-widget" in page and "challengejson=" in page
    assert 'src="/static/altcha/altcha.min.js"' in page


def test_a_solved_challenge_books(ready):
    page = ready.get("/rendez-vous/coordonnees/").content.decode()
    ready.post("/rendez-vous/coordonnees/", {**CONTACT, "proof": solved_proof(page)})
    assert Booking.objects.count() == 1


def test_a_replayed_or_forged_proof_is_refused_and_input_kept(ready):
    page = ready.get("/rendez-vous/coordonnees/").content.decode()
    proof = solved_proof(page)
    ready.post("/rendez-vous/coordonnees/", {**CONTACT, "proof": proof, "mobile": "12"})
    replay = ready.post("/rendez-vous/coordonnees/", {**CONTACT, "proof": proof})
    assert "vérification anti-robot a échoué" in replay.content.decode()
    forged = base64.b64encode(b'{"challenge": "x", "number": 1}').decode()
    response = ready.post("/rendez-vous/coordonnees/", {**CONTACT, "proof": forged})
    assert "vérification anti-robot a échoué" in response.content.decode()
    assert 'value="Diallo"' in response.content.decode()
    assert not Booking.objects.exists()


def test_without_javascript_booking_works_under_a_tight_limit(ready, settings):
    settings.BOOKING_CONFIRM_LIMITS = {"session": 100, "ip": 100, "no_proof_ip": 2}
    for _ in range(2):
        ready.post("/rendez-vous/coordonnees/", {**CONTACT, "mobile": "12"})
    page = ready.post("/rendez-vous/coordonnees/", CONTACT).content.decode()
    assert "Trop de demandes" in page
    assert not Booking.objects.exists()


def test_antibot_off_removes_the_challenge(ready, settings):
    settings.ANTIBOT = False
    settings.ALTCHA_VERIFICATION_ENABLED = False
    page = ready.get("/rendez-vous/coordonnees/").content.decode()
    assert "<altcha-widget" not in page
    ready.post("/rendez-vous/coordonnees/", CONTACT)
    assert Booking.objects.count() == 1


def test_a_proof_sent_twice_at_once_passes_only_once(ready, settings):
    """The check and the mark are one command: a second request carrying the same
    solution, checked before the first one's mark was written, is still refused."""
    from unittest import mock

    from booking.web.antibot import ProofOfWorkField

    page = ready.get("/rendez-vous/coordonnees/").content.decode()
    proof = solved_proof(page)
    field = ProofOfWorkField()
    field.validate(proof)
    # What the other request read before this one's mark: nothing there yet.
    with (
        mock.patch("django_altcha.is_challenge_used", return_value=False),
        pytest.raises(ValidationError),
    ):
        field.validate(proof)
