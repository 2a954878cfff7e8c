"""No lock-out of the rightful holder (issue 13): others' failed checks on a numéro or
an appointment never stop the person who has the right entry, or the link and the
code."""

import base64
import json
import re

import pytest
from django.test import Client

from booking.manage_links import manage_path
from booking.models import OutgoingMessage
from tests.booking.flow import IDENTITY, pass_gate, solved_proof
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

WRONG_DATE = {**IDENTITY, "valid_until": "30/03/2028"}


def five_fresh_sessions_type_wrong_dates(renewal) -> None:
    for n in range(5):
        attacker = Client(REMOTE_ADDR=f"203.0.113.{n}")
        pass_gate(attacker, renewal)
        page = attacker.post("/rendez-vous/identite/", WRONG_DATE).content.decode()
        assert "Nous ne trouvons pas" in page


def test_others_failures_do_not_lock_the_holder_out_of_the_identity_step(
    renewal, title
):
    five_fresh_sessions_type_wrong_dates(renewal)
    holder = Client(REMOTE_ADDR="198.51.100.7")
    pass_gate(holder, renewal)
    page = holder.post("/rendez-vous/identite/", IDENTITY).content.decode()
    assert "vérification anti-robot plus longue" in page  # not "Trop d’essais"
    assert "max_number&quot;: 2000000" in page or "2000000" in page
    response = holder.post(
        "/rendez-vous/identite/", {**IDENTITY, "proof": solved_proof(page)}
    )
    assert response.status_code == 302 and response["Location"].endswith("/creneaux/")
    assert holder.get("/rendez-vous/creneaux/").status_code == 200


def test_past_the_limit_wrong_entries_stay_counted_even_with_the_proof(
    renewal, title, settings
):
    settings.BOOKING_CHECK_LIMITS = {"session": 2, "ip": 100, "numero": 5}
    five_fresh_sessions_type_wrong_dates(renewal)
    guesser = Client(REMOTE_ADDR="203.0.113.99")
    pass_gate(guesser, renewal)
    page = guesser.post("/rendez-vous/identite/", WRONG_DATE).content.decode()
    for _ in range(2):
        page = guesser.post(
            "/rendez-vous/identite/", {**WRONG_DATE, "proof": solved_proof(page)}
        ).content.decode()
        assert "Nous ne trouvons pas" in page
    page = guesser.post(
        "/rendez-vous/identite/", {**IDENTITY, "proof": solved_proof(page)}
    ).content.decode()
    assert "Trop d’essais" in page  # the guesser's own session is spent


def test_a_proof_is_not_enough_without_it_being_solved(renewal, title):
    five_fresh_sessions_type_wrong_dates(renewal)
    bot = Client(REMOTE_ADDR="203.0.113.50")
    pass_gate(bot, renewal)
    page = bot.post("/rendez-vous/identite/", {**IDENTITY, "proof": ""})
    assert "vérification anti-robot plus longue" in page.content.decode()
    forged = base64.b64encode(json.dumps({"number": 1}).encode()).decode()
    page = bot.post("/rendez-vous/identite/", {**IDENTITY, "proof": forged})
    assert page.status_code == 200 and "/creneaux/" not in page.get("Location", "")


def code_from_sms(booking) -> str:
    sms = booking.messages.filter(kind=OutgoingMessage.Kind.BOOKING_MANAGE_CODE)
    return re.search(r"code (\d{6}) ", sms.order_by("-pk").first().body).group(1)


def test_others_wrong_codes_do_not_lock_the_holder_out_of_the_manage_page():
    booking = BookingFactory()
    path = manage_path(booking)
    # Someone who got hold of the link burns codes from five fresh sessions.
    for _ in range(5):
        other = Client(REMOTE_ADDR="203.0.113.1")
        other.post(path, {"send": "1"})
        wrong = f"{(int(code_from_sms(booking)) + 1) % 1_000_000:06d}"
        other.post(path, {"code": wrong})
    blocked = Client(REMOTE_ADDR="203.0.113.1")
    blocked.post(path, {"send": "1"})
    page = blocked.post(path, {"code": code_from_sms(booking)}).content.decode()
    assert "Trop d’essais" in page  # that IP is stopped for this appointment
    # The holder types the last code their phone received.
    holder = Client(REMOTE_ADDR="198.51.100.7")
    response = holder.post(path, {"code": code_from_sms(booking)})
    assert response.status_code == 302  # the holder, with the link and the code
    assert booking.reference in holder.get(path).content.decode()
