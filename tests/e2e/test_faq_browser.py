"""The FAQ in a real browser: accordions, permalinks, search, language switch,
keyboard access and axe-core's serious/critical checks."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_serious_axe_violations
from tests.factories import CategoryFactory, QuestionFactory

pytestmark = pytest.mark.browser

PAGES = ["/", "/faq/", "/accessibilite/", "/en/faq/"]
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def questions(page):
    """Two questions with texts nobody else uses (the real FAQ is not loaded)."""
    category = CategoryFactory(name_fr="Titres de séjour", name_en="Residence permits")
    return {
        "renewal": QuestionFactory(
            category=category,
            slug="renouveler-titre-zephyrin",
            question_fr="Comment renouveler mon titre Zéphyrin ?",
            question_en="How do I renew my Zephyrin permit?",
            answer_fr="Déposez la demande **Zéphyrin** deux mois avant l'échéance.",
            answer_en="Apply for the **Zephyrin** renewal two months before expiry.",
        ),
        "collection": QuestionFactory(
            category=category,
            slug="retirer-titre-quiberon",
            question_fr="Où retirer mon titre Quiberon ?",
            question_en="Where do I collect my Quiberon permit?",
            answer_fr="Au guichet **Quiberon**, avec votre convocation.",
            answer_en="At the **Quiberon** desk, with your notice.",
        ),
    }


def _wait_for_dsfr(page) -> None:
    # The DSFR's JavaScript marks the root element once it has started.
    expect(page.locator("html")).to_have_attribute("data-fr-js", "true")


def _accordion(page, slug):
    button = page.locator(f'button.fr-accordion__btn[aria-controls="reponse-{slug}"]')
    answer = page.locator(f"#reponse-{slug}")
    return button, answer


def test_pages_start_the_dsfr_without_javascript_or_csp_errors(page, questions):
    errors = []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    # CSP refusals (a script or style without the nonce) are reported as console errors.
    page.on(
        "console",
        lambda message: (
            message.type == "error" and errors.append(f"{page.url}: {message.text}")
        ),
    )
    for path in PAGES:
        page.goto(path)
        _wait_for_dsfr(page)
    assert errors == []


def test_clicking_a_question_opens_its_answer(page, questions):
    page.goto("/faq/")
    _wait_for_dsfr(page)
    button, answer = _accordion(page, "renouveler-titre-zephyrin")
    expect(answer).to_be_hidden()

    button.click()

    expect(button).to_have_attribute("aria-expanded", "true")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("deux mois avant l'échéance")
    expect(_accordion(page, "retirer-titre-quiberon")[1]).to_be_hidden()


def test_permalink_opens_its_question(page, questions):
    page.goto("/faq/retirer-titre-quiberon/")
    _wait_for_dsfr(page)
    button, answer = _accordion(page, "retirer-titre-quiberon")

    expect(button).to_have_attribute("aria-expanded", "true")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("avec votre convocation")
    expect(_accordion(page, "renouveler-titre-zephyrin")[1]).to_be_hidden()


def test_search_submitted_with_enter_lists_only_matching_questions(page, questions):
    page.goto("/faq/")
    search = page.get_by_label("Rechercher dans les questions fréquentes")

    search.fill("Quiberon")
    search.press("Enter")

    expect(page).to_have_url(re.compile(r"/faq/\?q=Quiberon$"))
    expect(
        page.get_by_role("button", name="Où retirer mon titre Quiberon ?")
    ).to_be_visible()
    expect(page.get_by_text("Comment renouveler mon titre Zéphyrin ?")).to_have_count(0)


def test_search_typed_without_accents_on_a_phone_finds_the_question(page, questions):
    page.set_viewport_size(PHONE)
    page.goto("/faq/")
    search = page.get_by_label("Rechercher dans les questions fréquentes")

    search.fill("ZEPHYRIN")  # as typed on a keyboard without "é"
    search.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("1 question correspond")
    found = page.get_by_role("button", name="Comment renouveler mon titre Zéphyrin ?")
    expect(found).to_be_visible()
    expect(page.get_by_text("Où retirer mon titre Quiberon ?")).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the FAQ is {width} px wide at 375 px"
    found.click()
    expect(_accordion(page, "renouveler-titre-zephyrin")[1]).to_be_visible()


def test_language_switch_shows_the_faq_in_english(page, questions):
    page.goto("/faq/")
    _wait_for_dsfr(page)

    page.locator('button.fr-translate__btn[aria-controls="translate-menu"]').click()
    english = page.locator('#translate-menu a[hreflang="en"]')
    expect(english).to_be_visible()
    english.click()

    expect(page).to_have_url(re.compile(r"^[^?#]+/en/faq/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(
        page.get_by_role("button", name="How do I renew my Zephyrin permit?")
    ).to_be_visible()


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(page, questions, path):
    page.goto(path)
    _wait_for_dsfr(page)
    assert_no_serious_axe_violations(page)


def test_tab_reaches_the_skip_link_first_and_it_moves_to_the_content(page, questions):
    page.goto("/faq/")
    _wait_for_dsfr(page)

    page.keyboard.press("Tab")
    skip_link = page.locator(".fr-skiplinks a").first
    expect(skip_link).to_be_focused()
    expect(skip_link).to_have_attribute("href", "#content")
    expect(skip_link).to_be_visible()  # shown once focused

    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/faq/#content$"))
    expect(page.locator("#content")).to_be_focused()
    expect(page.locator("#content")).to_be_in_viewport()
