from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import availability, services
from booking.services.bookings import Applicant
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


# The cached lists' version moves when the writes commit.
@pytest.mark.django_db(transaction=True)
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


def places(client, slug="renouvellement") -> dict[int, int]:
    data = client.get("/api/v1/creneaux", {"demarche": slug}).json()
    return {item["id"]: item["places"] for item in data}


def test_the_list_is_served_from_the_cache_while_nothing_changes(client):
    procedure = ProcedureFactory(slug="renouvellement")
    SlotFactory.create_batch(5, procedure=procedure)
    first = client.get("/api/v1/creneaux", {"demarche": "renouvellement"})
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/v1/creneaux", {"demarche": "renouvellement"})
    assert again.content == first.content and len(first.json()) == 5
    assert len(queries) == 1  # the démarche; the slots come from the cache


# The cached lists' version moves when the writes commit.
@pytest.mark.django_db(transaction=True)
def test_a_hold_a_booking_and_a_cancellation_show_at_once(client):
    procedure = ProcedureFactory(slug="renouvellement")
    slot = SlotFactory(procedure=procedure, capacity=3)
    now = timezone.now()
    assert places(client) == {slot.pk: 3}  # cached from now on
    held = services.hold_place(
        slot_id=slot.pk,
        procedure=procedure,
        numero_etranger="2008006503",
        client_ip="192.0.2.1",
        now=now,
    )
    assert places(client) == {slot.pk: 2}
    booking = services.booking_create(
        slot_id=slot.pk,
        procedure=procedure,
        applicant=Applicant(
            numero_etranger="2008006503",
            last_name="Diallo",
            first_name="Awa",
            mobile="+33612345678",
            email="",
            language="fr",
        ),
        hold_token=held.token,
        now=now,
    )
    assert places(client) == {slot.pk: 2}  # the hold became the booking
    services.booking_cancel(booking_id=booking.pk, now=now, by="agent")
    assert places(client) == {slot.pk: 3}


# The cached lists' version moves when the writes commit.
@pytest.mark.django_db(transaction=True)
def test_an_agents_edit_of_a_slot_or_a_demarche_shows_at_once(client):
    procedure = ProcedureFactory(slug="renouvellement")
    slot = SlotFactory(procedure=procedure, capacity=3)
    assert places(client) == {slot.pk: 3}
    slot.capacity = 5
    slot.save()
    assert places(client) == {slot.pk: 5}
    procedure.is_active = False
    procedure.save()
    assert (
        client.get("/api/v1/creneaux", {"demarche": "renouvellement"}).status_code
        == 404
    )


def test_the_version_moves_once_after_the_commit(django_capture_on_commit_callbacks):
    before = cache.get(availability.VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        availability.changed()
        availability.changed()  # a hold released and another taken: one move
        assert cache.get(availability.VERSION_KEY) == before
    assert len(callbacks) == 1
    assert cache.get(availability.VERSION_KEY) != before


@pytest.mark.django_db(transaction=True)
def test_the_version_moves_at_once_outside_a_transaction():
    before = cache.get(availability.VERSION_KEY)
    availability.changed()
    assert cache.get(availability.VERSION_KEY) != before


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_to_a_savepoint_still_moves_the_version_of_the_next():
    before = cache.get(availability.VERSION_KEY)
    with transaction.atomic():
        try:
            with transaction.atomic():
                availability.changed()
                raise RuntimeError  # this change is undone, its callback dropped
        except RuntimeError:
            pass
        availability.changed()
        assert cache.get(availability.VERSION_KEY) == before
    assert cache.get(availability.VERSION_KEY) != before
