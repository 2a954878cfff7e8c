"""Where the numéro étranger is, in pictures (issue 16, item 8), in a real browser: at
375 and 1280 px, with and without JavaScript, in French and in English, the FAQ
answer shows its four drawings (loaded, within the page's width) and the identity
step's link opens them in a new tab while the form keeps what was typed; axe-core
finds nothing serious on either page."""

import itertools

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from faq.services import faq_seed
from tests.e2e.conftest import assert_no_serious_axe_violations
from tests.factories import ProcedureFactory, SlotFactory

pytestmark = pytest.mark.browser

SLUG = "ou-trouver-mon-numero-etranger"
VIEWPORTS = {375: {"width": 375, "height": 812}, 1280: {"width": 1280, "height": 900}}
PREFIX = {"fr": "", "en": "/en"}
CASES = list(itertools.product(VIEWPORTS, (True, False), ("fr", "en")))
IDS = [f"{width}px-{'js' if js else 'nojs'}-{lang}" for width, js, lang in CASES]
TYPED = "208006503"
# The elements whose right edge is past the window's (to say which when the page
# is wider), outside screen-reader-only text (clipped: never shown nor scrolled).
WIDER_THAN_THE_WINDOW = """() => [...document.querySelectorAll("body *")]
    .filter((e) => !e.closest(".fr-sr-only"))
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map((e) => `${e.tagName}.${e.className}`)"""


@pytest.fixture
def seeded(transactional_db):
    """The préfecture's FAQ as seeded, and one procedure to book (with a free place:
    without one, the gate's answer says "complet" on its own address)."""
    faq_seed(now=timezone.now())
    procedure = ProcedureFactory(
        slug="renouvellement",
        name_fr="Renouvellement de titre",
        name_en="Permit renewal",
    )
    SlotFactory(procedure=procedure)
    return procedure


@pytest.fixture
def open_context(browser, live_server):
    """Opens a browser context; ``scripts_blocked``: JavaScript on for the test's own
    probes but none of the site's scripts loaded, which is how axe-core (whose timers
    never fire with JavaScript off) checks the page as it is without JavaScript."""
    contexts = []

    def open_one(width: int, javascript: bool, language: str, scripts_blocked=False):
        context = browser.new_context(
            base_url=live_server.url,
            locale="fr-FR" if language == "fr" else "en-GB",
            java_script_enabled=javascript or scripts_blocked,
            viewport=VIEWPORTS[width],
        )
        context.set_default_timeout(5_000)
        if scripts_blocked:
            context.route("**/*.js", lambda route: route.abort())
        contexts.append(context)
        return context

    yield open_one
    for context in contexts:
        context.close()


def _wait_for_dsfr(page, javascript: bool) -> None:
    if javascript:
        expect(page.locator("html")).to_have_attribute("data-fr-js", "true")


def assert_drawings_shown(page, width: int) -> None:
    """The four figures are visible, each drawing loaded and drawn, none wider than
    the viewport, and the page has no horizontal scroll."""
    figures = page.locator(f"#reponse-{SLUG} figure")
    expect(figures).to_have_count(4)
    for index in range(4):
        figure = figures.nth(index)
        image = figure.locator("img")
        expect(image).to_be_visible()
        expect(figure.locator("figcaption")).to_be_visible()
        assert image.get_attribute("alt"), "every drawing has a text alternative"
        figure.scroll_into_view_if_needed()
        loaded = image.evaluate("(img) => img.complete && img.naturalWidth > 0")
        assert loaded, f"{image.get_attribute('src')} was not loaded"
        box = image.bounding_box()
        assert box is not None and 200 <= box["width"] <= min(width, 400) + 1
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    inner_width = page.evaluate("window.innerWidth")
    assert scroll_width <= inner_width, page.evaluate(WIDER_THAN_THE_WINDOW)


@pytest.mark.parametrize(("width", "javascript", "language"), CASES, ids=IDS)
def test_the_faq_answer_shows_the_four_drawings(
    open_context, seeded, width, javascript, language
):
    page = open_context(width, javascript, language).new_page()
    drawings = []
    page.on(
        "response",
        lambda r: (
            "/static/faq/numero-etranger/" in r.url
            and drawings.append((r.status, r.headers.get("content-type", "")))
        ),
    )

    page.goto(f"{PREFIX[language]}/faq/{SLUG}/")
    _wait_for_dsfr(page, javascript)

    expect(page.locator("html")).to_have_attribute("lang", language)
    button = page.locator(f'button[aria-controls="reponse-{SLUG}"]')
    expect(button).to_have_attribute("aria-expanded", "true")
    assert_drawings_shown(page, width)
    assert sorted(drawings) == [(200, "image/svg+xml")] * 4
    if javascript:
        assert_no_serious_axe_violations(page)
    else:
        checked = open_context(width, False, language, scripts_blocked=True).new_page()
        checked.goto(f"{PREFIX[language]}/faq/{SLUG}/")
        expect(checked.locator("html")).not_to_have_attribute("data-fr-js", "true")
        assert_drawings_shown(checked, width)
        assert_no_serious_axe_violations(checked)


def reach_identity(page, procedure, language: str) -> None:
    page.goto(f"{PREFIX[language]}/rendez-vous/")
    page.locator('input[name="situation"][value="titre_sejour"]').check(force=True)
    page.locator('select[name="procedure"]').select_option(str(procedure.pk))
    page.locator('#content form [type="submit"]').click()
    expect(page).to_have_url(f"{PREFIX[language]}/rendez-vous/identite/")


@pytest.mark.parametrize(("width", "javascript", "language"), CASES, ids=IDS)
def test_the_identity_link_opens_the_drawings_and_keeps_what_was_typed(
    open_context, seeded, width, javascript, language
):
    context = open_context(width, javascript, language)
    page = context.new_page()
    reach_identity(page, seeded, language)
    _wait_for_dsfr(page, javascript)
    numero = page.locator("#id_numero_etranger")
    numero.fill(TYPED)
    link = page.locator(f'#content a[href$="/faq/{SLUG}/#{SLUG}"]')
    expect(link).to_be_visible()
    if language == "fr":
        expect(link).to_have_accessible_name(
            "Où trouver mon numéro étranger ? – nouvelle fenêtre"
        )
    if javascript:
        assert_no_serious_axe_violations(page)
    else:
        checked = open_context(width, False, language, scripts_blocked=True).new_page()
        reach_identity(checked, seeded, language)
        expect(checked.locator("html")).not_to_have_attribute("data-fr-js", "true")
        assert_no_serious_axe_violations(checked)

    with context.expect_page() as opened:
        link.click()
    answer = opened.value
    answer.wait_for_load_state()

    expect(answer).to_have_url(f"{PREFIX[language]}/faq/{SLUG}/#{SLUG}")
    _wait_for_dsfr(answer, javascript)
    assert_drawings_shown(answer, width)
    if javascript:  # without it, the FAQ test checks the same page
        assert_no_serious_axe_violations(answer)
    # The form's tab is as the applicant left it.
    answer.close()
    expect(numero).to_have_value(TYPED)
    expect(page).to_have_url(f"{PREFIX[language]}/rendez-vous/identite/")
