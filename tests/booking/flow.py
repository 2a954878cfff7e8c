"""The applicant's way through the booking flow over HTTP, one step after the other,
for the tests that start at a later step (slots, details, confirmation)."""

import base64
import html as html_lib
import json
import re
from datetime import date, timedelta

import altcha

from booking import services
from booking.manage_links import manage_path
from booking.models import OutgoingMessage, TitleRecord
from tests.factories import SlotFactory, TitleRecordFactory

# What the applicant types: nine digits, the register holds ten (a leading 2).
IDENTITY = {
    "numero_etranger": "208006503",
    "valid_until": "31/03/2028",
    "postal_code": "45000",
}
CONTACT = {
    "last_name": "Diallo",
    "first_name": "Awa",
    "mobile": "06 12 34 56 78",
    "email": "awa@example.org",
}


def registered_title() -> TitleRecord:
    """The register's record that IDENTITY matches."""
    return TitleRecordFactory(
        numero_etranger="2008006503", valid_until=date(2028, 3, 31), postal_code="45000"
    )


def pass_gate(client, procedure, situation="titre_sejour"):
    return client.post(
        "/rendez-vous/", {"situation": situation, "procedure": procedure.pk}
    )


def pass_identity(client, procedure, identity=IDENTITY):
    pass_gate(client, procedure)
    return client.post("/rendez-vous/identite/", identity)


def hold(client, procedure, slot):
    pass_identity(client, procedure)
    return client.post("/rendez-vous/creneaux/", {"slot": slot.pk})


def unlock_manage(client, booking) -> str:
    """Opens the booking's manage page in ``client``'s session as its holder does: asks
    for the one-time code, reads it from the outbox row the SMS was written to, types
    it. Returns the manage path."""
    path = manage_path(booking)
    assert client.post(path, {"send": "1"}).status_code == 200
    body = (
        OutgoingMessage.objects.filter(
            booking=booking, kind=OutgoingMessage.Kind.BOOKING_MANAGE_CODE
        )
        .latest("pk")
        .body
    )
    code = re.search(r"code (\d{6}) ", body).group(1)
    assert client.post(path, {"code": code}).status_code == 302
    return path


def solved_proof(page: str) -> str:
    """What the browser's worker sends: the challenge solved by brute force."""
    raw = re.search(r'challengejson="([^"]+)"', page).group(1)
    challenge = json.loads(html_lib.unescape(raw))
    solution = altcha.solve_challenge(
        challenge["challenge"], challenge["salt"], challenge["algorithm"],
        challenge["max_number"],
    )  # fmt: skip
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


# --- service level: appointments made without the pages ---------------------------


def applicant(numero: str, mobile: str = "+33612345678") -> services.Applicant:
    """An applicant as the services take it (the contact step's cleaned data)."""
    return services.Applicant(
        numero_etranger=numero, last_name="Diallo", first_name="Awa", mobile=mobile
    )


def slots_after(booking, count: int) -> list:
    """``count`` free slots of the booking's démarche, an hour apart, after its own."""
    start = booking.slot.starts_at
    return [
        SlotFactory(
            procedure=booking.procedure,
            site=booking.slot.site,
            starts_at=start + timedelta(hours=i + 1),
        )
        for i in range(count)
    ]
