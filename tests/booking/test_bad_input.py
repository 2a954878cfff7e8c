"""Whatever a person (or a bot) types in any field of the flow: never a 500."""

import pytest

from tests.booking.flow import CONTACT, IDENTITY, hold, pass_gate
from tests.factories import ProcedureFactory, SlotFactory, TitleRecordFactory

pytestmark = pytest.mark.django_db

NASTY = [
    "\x00",
    "x" * 100_000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "🙂🇫🇷",
    "\u202e\u200b",
    "%00",
    "-1",
    "1e309",
    "９９",  # full-width digits
]


@pytest.mark.parametrize("value", NASTY)
def test_no_field_of_the_flow_answers_500(client, value):
    procedure = ProcedureFactory(slug="renouvellement")
    slot = SlotFactory(procedure=procedure)
    TitleRecordFactory(numero_etranger="2008006503", valid_until="2028-03-31")
    assert client.get("/api/v1/creneaux", {"demarche": value}).status_code == 404
    response = client.post("/rendez-vous/", {"situation": value, "procedure": value})
    assert response.status_code == 200
    pass_gate(client, procedure)
    for field in IDENTITY:
        data = {**IDENTITY, field: value}
        assert client.post("/rendez-vous/identite/", data).status_code == 200
    client.post("/rendez-vous/identite/", IDENTITY)
    assert client.post("/rendez-vous/creneaux/", {"slot": value}).status_code == 200
    hold(client, procedure, slot)
    for field in CONTACT:
        data = {**CONTACT, field: value}
        assert client.post("/rendez-vous/coordonnees/", data).status_code < 500
    assert client.get(f"/rendez-vous/gerer/{value[:2000]}/").status_code == 404
