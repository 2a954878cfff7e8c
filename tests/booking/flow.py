"""The applicant's way through the booking flow over HTTP, one step after the other,
for the tests that start at a later step (slots, details, confirmation)."""

from datetime import date

from booking.models import TitleRecord
from tests.factories import TitleRecordFactory

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
