"""A wrong submission on a phone: the error summary first, focused, linking to each
field; without JavaScript the title says "Erreur : " and the summary leads the page."""

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_serious_axe_violations
from tests.factories import ProcedureFactory, TitleRecordFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


@pytest.fixture
def renewal(transactional_db):
    TitleRecordFactory(
        numero_etranger="2008006503", valid_until=date(2028, 3, 31), postal_code="45000"
    )
    return ProcedureFactory(slug="renouvellement", name_fr="Renouvellement de titre")


def submit_a_wrong_identity(page) -> None:
    page.goto("/rendez-vous/")
    page.locator("label", has_text="J’ai un titre de séjour").click()
    page.get_by_label("Votre démarche").select_option(label="Renouvellement de titre")
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url("/rendez-vous/identite/")
    page.get_by_role("textbox", name="Numéro étranger").fill("12345")
    page.get_by_role("textbox", name="Date de validité").fill("31/12")
    page.get_by_role("textbox", name="Code postal").fill("45000")
    page.get_by_role("button", name="Vérifier et continuer").click()


def test_a_wrong_submission_on_a_phone_focuses_the_error_summary(page, renewal):
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size(PHONE)
    submit_a_wrong_identity(page)

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Le formulaire contient 2 erreurs")
    expect(summary).to_be_focused()  # the static script ran under the CSP
    assert page.title().startswith("Erreur : ")
    assert errors == []
    for field in ("numero_etranger", "valid_until"):
        expect(page.locator(f'#error-summary a[href="#id_{field}"]')).to_have_count(1)
    # Each numeric field brings up the numeric keyboard.
    for name in ("Numéro étranger", "Date de validité", "Code postal"):
        expect(page.get_by_role("textbox", name=name)).to_have_attribute(
            "inputmode", "numeric"
        )
    assert_no_serious_axe_violations(page)

    # The format is named, and a link takes the applicant to the field.
    link = page.locator('#error-summary a[href="#id_valid_until"]')
    expect(link).to_have_text(
        "Saisissez la date au format JJ/MM/AAAA, par exemple 31/12/2027."
    )
    link.click()
    expect(page.get_by_role("textbox", name="Date de validité")).to_be_focused()


def test_without_javascript_the_summary_leads_the_page(browser, live_server, renewal):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        java_script_enabled=False,
        viewport=PHONE,
    )
    try:
        page = context.new_page()
        submit_a_wrong_identity(page)
        assert page.title().startswith("Erreur : ")
        first = page.locator("#content > .fr-container > *").first
        expect(first).to_have_id("error-summary")
        expect(first).to_contain_text("Le formulaire contient 2 erreurs")
    finally:
        context.close()
