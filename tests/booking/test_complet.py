"""Issue 17, item 3: when no place of a démarche is free nor held, the gate says so
at once, before the identity step: an applicant arriving after the sell-out costs
two requests (the gate and its answer), and is offered the waiting list."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import availability
from booking.models import WaitingMode
from tests.booking.flow import CONTACT, pass_gate, pass_identity
from tests.factories import BookingFactory, SlotFactory

pytestmark = pytest.mark.django_db

COMPLET = "Aucun créneau n’est disponible pour le moment"


def test_a_sold_out_demarche_is_said_complet_at_the_gate(client, renewal):
    BookingFactory(slot=SlotFactory(procedure=renewal, capacity=1))

    answer = pass_gate(client, renewal)

    assert answer.status_code == 200  # no redirect to the identity step
    page = answer.content.decode()
    assert COMPLET in page
    assert "De nouveaux créneaux sont publiés chaque semaine" in page
    # The waiting list is joined after the register check: its form is right there.
    assert 'action="/rendez-vous/identite/"' in page
    assert 'name="numero_etranger"' in page
    assert "liste d'attente" in page.replace("&#x27;", "'")


def test_with_a_free_place_the_gate_leads_to_the_identity_step(client, renewal, slot):
    answer = pass_gate(client, renewal)
    assert answer.status_code == 302
    assert answer["Location"] == "/rendez-vous/identite/"


# The cached lists' version moves when the writes commit.
@pytest.mark.django_db(transaction=True)
def test_a_place_only_held_is_not_complet_it_may_come_back(client, renewal, title):
    slot = SlotFactory(procedure=renewal, capacity=1)
    holder = Client()
    pass_identity(holder, renewal)
    assert holder.post("/rendez-vous/creneaux/", {"slot": slot.pk}).status_code == 302

    answer = pass_gate(client, renewal)
    assert answer.status_code == 302  # held, not taken: the hold may lapse

    confirmed = holder.post("/rendez-vous/coordonnees/", CONTACT)
    assert confirmed["Location"] == "/rendez-vous/confirme/"
    assert COMPLET in pass_gate(client, renewal).content.decode()  # now it is


def test_a_demarche_given_through_the_list_is_never_complet(client, renewal):
    renewal.waiting_mode = WaitingMode.LIST
    renewal.save()
    assert pass_gate(client, renewal).status_code == 302


def test_the_waiting_list_button_leads_through_the_identity_check(
    client, renewal, title
):
    BookingFactory(slot=SlotFactory(procedure=renewal, capacity=1))
    pass_gate(client, renewal)
    answer = pass_identity(client, renewal)
    assert answer["Location"] == "/rendez-vous/creneaux/"
    page = client.get("/rendez-vous/creneaux/").content.decode()
    assert COMPLET in page and "/rendez-vous/liste-attente/" in page


# The cached lists' version moves when the writes commit.
@pytest.mark.django_db(transaction=True)
def test_a_place_opened_shows_at_once(client, renewal):
    assert COMPLET in pass_gate(client, renewal).content.decode()
    SlotFactory(procedure=renewal)  # a new slot changes the cached answer's version
    assert pass_gate(client, renewal).status_code == 302


def test_the_complet_answer_is_shared_through_the_cache(client, renewal):
    now = timezone.now()
    SlotFactory(procedure=renewal, starts_at=now - timedelta(days=1))  # past
    assert availability.procedure_complet(procedure=renewal, now=now)
    with CaptureQueriesContext(connection) as captured:
        assert availability.procedure_complet(procedure=renewal, now=now)
    assert len(captured) == 0
