"""The round trips of every request of the booking flow, pinned (as bench/client.py
walks it, caches warm, sessions and cache on one Redis as in production): a change
that adds one fails here; one that removes one updates the numbers. The session,
the démarches' version and the announcements come in one MGET
(prefecture.request_keys); the confirm's own pins are in test_confirm_round_trips."""

import re
from datetime import date, timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from tests.booking.flow import IDENTITY
from tests.factories import (
    AnnouncementFactory,
    ProcedureFactory,
    SiteFactory,
    SlotFactory,
    TitleRecordFactory,
)
from tests.redis_cache import on_redis_as_production
from tests.round_trips import counted_round_trips

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the after-commit callbacks run
    pytest.mark.redis,
    pytest.mark.postgres,
]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SLOT = re.compile(r'name="slot" value="(\d+)"')

# (SQL, Redis) per request, the third applicant's walk.
PINNED = {
    "gate": (0, 1),  # MGET (the gate form kept in the process for that version)
    # No session yet: the démarches' version alone (the choice checked against the
    # démarches each process keeps, no query); "has a place" cached; one SET.
    "gate POST": (1, 4),
    "identity": (0, 1),
    # The register, with whether an appointment is to come; the session.
    "identity POST": (1, 2),
    "slot list": (2, 3),  # the day's list built again (the last hold moved it)
    # The locks, the release and the counts in one message; the availability
    # version moved once, after the commit.
    "hold POST": (5, 3),
    "details": (2, 1),
    "confirm POST": (4, 3),  # the slot, the locks and the checks in one message
    "success page": (1, 1),
}


@pytest.fixture
def on_redis(settings):
    with on_redis_as_production(settings, "test-pages"):
        settings.ANTIBOT = False
        settings.ALTCHA_VERIFICATION_ENABLED = False
        yield


def _walk(procedure, numero: str, mobile: str) -> dict:
    client = Client()
    trips: dict = {}

    def step(name: str, method: str, url: str, data: dict | None = None):
        with counted_round_trips() as counted:
            response = client.get(url) if method == "GET" else client.post(url, data)
        trips[name] = counted
        return response

    def token(page) -> str:
        return CSRF.search(page.content.decode()).group(1)

    page = step("gate", "GET", "/rendez-vous/")
    gate = {"situation": "titre_sejour", "procedure": str(procedure.pk)}
    step(
        "gate POST",
        "POST",
        "/rendez-vous/",
        {**gate, "csrfmiddlewaretoken": token(page)},
    )
    page = step("identity", "GET", "/rendez-vous/identite/")
    identity = {
        **IDENTITY,
        "numero_etranger": numero,
        "csrfmiddlewaretoken": token(page),
    }
    answer = step("identity POST", "POST", "/rendez-vous/identite/", identity)
    assert answer["Location"] == "/rendez-vous/creneaux/"
    page = step("slot list", "GET", "/rendez-vous/creneaux/")
    choice = {"slot": SLOT.findall(page.content.decode())[0]}
    answer = step(
        "hold POST",
        "POST",
        "/rendez-vous/creneaux/",
        {**choice, "csrfmiddlewaretoken": token(page)},
    )
    assert answer["Location"] == "/rendez-vous/coordonnees/"
    page = step("details", "GET", "/rendez-vous/coordonnees/")
    contact = {"last_name": "Essai", "first_name": "Banc", "mobile": mobile}
    answer = step(
        "confirm POST",
        "POST",
        "/rendez-vous/coordonnees/",
        {**contact, "email": "", "csrfmiddlewaretoken": token(page)},
    )
    assert answer["Location"] == "/rendez-vous/confirme/"
    assert step("success page", "GET", "/rendez-vous/confirme/").status_code == 200
    return trips


def test_every_request_of_the_flow_in_its_pinned_round_trips(on_redis):
    procedure = ProcedureFactory(slug="renouvellement", name_fr="Renouvellement")
    site = SiteFactory(name="Orléans")
    start = timezone.now() + timedelta(days=3)
    for i in range(6):
        SlotFactory(
            procedure=procedure,
            site=site,
            capacity=3,
            starts_at=start + timedelta(minutes=15 * i),
        )
    numeros = ("2008006501", "2008006502", "2008006503")
    for numero in numeros:
        TitleRecordFactory(
            numero_etranger=numero, valid_until=date(2028, 3, 31), postal_code="45000"
        )
    AnnouncementFactory()  # shown on every page: read with the session
    # The publish to the broker (one more round trip, after the commit) is not
    # counted: the tests' Celery runs its tasks in the process.
    with mock.patch("booking.services.outbox.publish"):
        for numero in numeros[:2]:  # caches warm, as in a rush
            _walk(procedure, numero, "06 12 34 56 " + numero[-2:])
        trips = _walk(procedure, numeros[2], "06 12 34 56 03")
    counts = {name: (len(t.sql), len(t.redis)) for name, t in trips.items()}
    assert counts == PINNED, "\n\n".join(f"{n}: {t}" for n, t in trips.items())
    # Every page's first Redis round trip brings the session with it.
    for name, counted in trips.items():
        if name != "gate":  # no session yet
            assert counted.redis[0].startswith("MGET"), (name, counted.redis)
