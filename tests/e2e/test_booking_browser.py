"""The booking flow in a real browser, with axe-core on every step."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking.models import Booking
from tests.e2e.conftest import assert_no_serious_axe_violations
from tests.factories import (
    ProcedureFactory,
    SiteFactory,
    SlotFactory,
    TitleRecordFactory,
)

pytestmark = pytest.mark.browser

ANEF = "https://invite.contacts-demarches.interieur.gouv.fr/Etrangers"


@pytest.fixture
def counter(page):
    procedure = ProcedureFactory(
        slug="renouvellement", name_fr="Renouvellement de titre"
    )
    site = SiteFactory(name="Préfecture du Loiret — Orléans")
    start = (timezone.now() + timedelta(days=4)).replace(hour=9, minute=0, second=0)
    SlotFactory(procedure=procedure, site=site, starts_at=start, capacity=2)
    SlotFactory(procedure=procedure, site=site, starts_at=start + timedelta(hours=1))
    TitleRecordFactory(
        numero_etranger="2008006503", valid_until=date(2028, 3, 31), postal_code="45000"
    )
    return procedure


def choose_situation(page, label, procedure_name):
    page.locator("label", has_text=label).click()
    page.get_by_label("Votre démarche").select_option(label=procedure_name)
    page.get_by_role("button", name="Continuer").click()


def test_eligible_applicant_books_with_a_nine_digit_number(page, counter):
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/rendez-vous/")
    assert_no_serious_axe_violations(page)
    choose_situation(page, "J’ai un titre de séjour", "Renouvellement de titre")

    expect(page).to_have_url("/rendez-vous/identite/")
    assert_no_serious_axe_violations(page)
    page.get_by_role("textbox", name="Numéro étranger").fill("208 006 503")
    page.get_by_role("textbox", name="Date de validité").fill("31/03/2028")
    page.get_by_role("textbox", name="Code postal").fill("45000")
    page.get_by_role("textbox", name="Code postal").press("Enter")

    expect(page).to_have_url("/rendez-vous/creneaux/")
    expect(page.get_by_text("2008006503")).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.locator('label[for^="slot-"]').first.click()
    page.get_by_role("button", name="Réserver ce créneau").click()

    expect(page).to_have_url("/rendez-vous/coordonnees/")
    # The proof of work is solved in the background (workers, under the CSP).
    proof = page.locator('altcha-widget input[name="proof"]')
    expect(proof).to_have_value(re.compile(".+"), timeout=15_000)
    assert errors == []
    assert_no_serious_axe_violations(page)
    page.get_by_role("textbox", name="Nom", exact=True).fill("Diallo")
    page.get_by_role("textbox", name="Prénom").fill("Awa")
    page.get_by_role("textbox", name="Téléphone portable").fill("06 12 34 56 78")
    page.get_by_role("button", name="Confirmer le rendez-vous").click()

    expect(page).to_have_url("/rendez-vous/confirme/")
    booking = Booking.objects.get()
    expect(page.get_by_text(booking.reference)).to_be_visible()
    assert errors == []
    assert booking.numero_etranger == "2008006503"
    assert_no_serious_axe_violations(page)


def test_recepisse_holder_is_sent_to_the_anef_before_any_slot(page, counter):
    page.goto("/rendez-vous/")
    choose_situation(page, "J’ai un récépissé", "Renouvellement de titre")
    link = page.get_by_role("link", name="Faire ma démarche en ligne")
    expect(link).to_have_attribute("href", ANEF)
    expect(page.locator('input[name="slot"]')).to_have_count(0)
    assert_no_serious_axe_violations(page)


def test_errors_are_linked_to_their_field_and_input_is_kept(page, counter):
    page.goto("/rendez-vous/")
    choose_situation(page, "J’ai un titre de séjour", "Renouvellement de titre")
    page.get_by_role("textbox", name="Numéro étranger").fill("12345")
    page.get_by_role("textbox", name="Date de validité").fill("31/02/2028")
    page.get_by_role("textbox", name="Code postal").fill("45000")
    page.keyboard.press("Enter")
    numero = page.get_by_role("textbox", name="Numéro étranger")
    expect(numero).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_numero_etranger-desc-error")
    expect(error).to_contain_text("Ce numéro étranger n’est pas valide")
    expect(error).not_to_contain_text("vignette OFII")  # the hint stays a hint
    expect(page.get_by_role("textbox", name="Code postal")).to_have_value("45000")
    assert_no_serious_axe_violations(page)


def test_the_gate_works_with_the_keyboard_alone(page, counter):
    page.goto("/rendez-vous/")
    page.locator("#id_situation_0").focus()
    page.keyboard.press("Space")  # choose the first situation
    page.keyboard.press("Tab")  # to the démarche
    page.keyboard.press("ArrowDown")  # first démarche
    page.keyboard.press("Tab")  # to the button
    page.keyboard.press("Enter")
    expect(page).to_have_url("/rendez-vous/identite/")
