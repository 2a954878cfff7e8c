from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import BookingFactory, ProcedureFactory, SiteFactory, SlotFactory

pytestmark = pytest.mark.django_db


def test_free_slots_in_the_contract_format(client):
    procedure = ProcedureFactory(slug="renouvellement")
    slot = SlotFactory(
        procedure=procedure, capacity=3, site=SiteFactory(name="Orléans")
    )
    BookingFactory(slot=slot)
    full = SlotFactory(procedure=procedure, capacity=1)
    BookingFactory(slot=full)
    response = client.get("/api/v1/creneaux", {"demarche": "renouvellement"})
    assert response.status_code == 200
    [item] = response.json()
    assert item["id"] == slot.pk and item["site"] == "Orléans" and item["places"] == 2
    assert item["debut"].endswith(("+01:00", "+02:00"))
    assert set(item) == {"id", "debut", "fin", "site", "places"}


def test_a_procedure_sharing_slots_lists_them(client):
    renewal = ProcedureFactory(slug="renouvellement")
    ProcedureFactory(slug="changement-de-statut", booking_procedure=renewal)
    slot = SlotFactory(procedure=renewal)
    data = client.get("/api/v1/creneaux", {"demarche": "changement-de-statut"}).json()
    assert [item["id"] for item in data] == [slot.pk]


@pytest.mark.parametrize("query", [{"demarche": "inconnue"}, {"demarche": "x" * 5000}])
def test_unknown_procedure_is_404(client, query):
    assert client.get("/api/v1/creneaux", query).status_code == 404


def test_missing_parameter_is_a_client_error(client):
    assert client.get("/api/v1/creneaux").status_code == 422


def test_openapi_schema_documents_the_endpoint(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/creneaux" in schema["paths"]


def test_query_count_does_not_grow_with_slots(client):
    procedure = ProcedureFactory(slug="renouvellement")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            client.get("/api/v1/creneaux", {"demarche": "renouvellement"})
        return len(captured)

    SlotFactory(procedure=procedure)
    few = queries()
    for hour in range(50):
        SlotFactory(
            procedure=procedure,
            starts_at=timezone.now() + timedelta(days=3, hours=hour),
        )
    assert queries() == few == 2
