"""A wrong submission, on a phone and on a desktop, in French and English: the error
summary first, focused, linking to each field; without JavaScript the title says
"Erreur : " and the summary leads the page."""

import re
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_serious_axe_violations
from tests.factories import ProcedureFactory, SlotFactory, TitleRecordFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Words:
    prefix: str
    situation: str
    procedure: str
    continue_: str
    numero: str
    valid_until: str
    postal_code: str
    check: str
    error: str
    two_errors: str
    date_format: str


FRENCH = Words(
    prefix="",
    situation="J’ai un titre de séjour",
    procedure="Votre démarche",
    continue_="Continuer",
    numero="Numéro étranger",
    valid_until="Date de validité",
    postal_code="Code postal",
    check="Vérifier et continuer",
    error="Erreur : ",
    two_errors="Le formulaire contient 2 erreurs",
    date_format="Saisissez la date au format JJ/MM/AAAA, par exemple 31/12/2027.",
)
ENGLISH = Words(
    prefix="/en",
    situation="I have a residence permit",
    procedure="Your procedure",
    continue_="Continue",
    numero="Foreign national number (numéro étranger)",
    valid_until="Expiry date",
    postal_code="Postcode",
    check="Check and continue",
    error="Error: ",
    two_errors="The form has 2 errors",
    date_format="Enter the date as DD/MM/YYYY, for example 31/12/2027.",
)
LANGUAGES = pytest.mark.parametrize("words", [FRENCH, ENGLISH], ids=["fr", "en"])
WIDTHS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])


@pytest.fixture
def renewal(transactional_db):
    TitleRecordFactory(
        numero_etranger="2008006503", valid_until=date(2028, 3, 31), postal_code="45000"
    )
    procedure = ProcedureFactory(
        slug="renouvellement",
        name_fr="Renouvellement de titre",
        name_en="Permit renewal",
    )
    SlotFactory(procedure=procedure)  # a free place: the gate leads to identity
    return procedure


def submit_a_wrong_identity(page, words: Words) -> None:
    page.goto(f"{words.prefix}/rendez-vous/")
    page.locator("label", has_text=words.situation).click()
    procedure = "Renouvellement de titre" if words is FRENCH else "Permit renewal"
    page.get_by_label(words.procedure).select_option(label=procedure)
    page.get_by_role("button", name=words.continue_).click()
    expect(page).to_have_url(f"{words.prefix}/rendez-vous/identite/")
    page.get_by_role("textbox", name=words.numero).fill("12345")
    page.get_by_role("textbox", name=words.valid_until).fill("31/12")
    page.get_by_role("textbox", name=words.postal_code).fill("45000")
    page.get_by_role("button", name=words.check).click()


@WIDTHS
@LANGUAGES
def test_a_wrong_submission_focuses_the_error_summary(page, renewal, viewport, words):
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size(viewport)
    submit_a_wrong_identity(page, words)

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(words.two_errors)
    expect(summary).to_be_focused()  # the static script ran under the CSP
    expect(page).to_have_title(re.compile("^" + re.escape(words.error)))
    assert errors == []
    for field in ("numero_etranger", "valid_until"):
        expect(page.locator(f'#error-summary a[href="#id_{field}"]')).to_have_count(1)
    # Each numeric field brings up the numeric keyboard.
    for name in (words.numero, words.valid_until, words.postal_code):
        expect(page.get_by_role("textbox", name=name)).to_have_attribute(
            "inputmode", "numeric"
        )
    assert_no_serious_axe_violations(page)

    # The format is named, and a link takes the applicant to the field.
    link = page.locator('#error-summary a[href="#id_valid_until"]')
    expect(link).to_have_text(words.date_format)
    link.click()
    expect(page.get_by_role("textbox", name=words.valid_until)).to_be_focused()


@WIDTHS
@LANGUAGES
def test_without_javascript_the_summary_leads_the_page(
    browser, live_server, renewal, viewport, words
):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        java_script_enabled=False,
        viewport=viewport,
    )
    try:
        page = context.new_page()
        submit_a_wrong_identity(page, words)
        expect(page).to_have_title(re.compile("^" + re.escape(words.error)))
        first = page.locator("#content > .fr-container > *").first
        expect(first).to_have_id("error-summary")
        expect(first).to_contain_text(words.two_errors)
        # The link goes to the field without a script (a plain anchor).
        page.locator('#error-summary a[href="#id_valid_until"]').click()
        expect(page).to_have_url(f"{words.prefix}/rendez-vous/identite/#id_valid_until")
    finally:
        context.close()
