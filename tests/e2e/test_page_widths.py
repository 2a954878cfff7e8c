"""Every public page at 320, 375, 768, 1024 and 1280 px, with JavaScript and without,
in French and in English: nothing is wider than the window (the document's
``scrollWidth``), the language switch can be reached, and axe-core finds nothing
serious or critical at 375 and 1280 px.

One browser context per run (JavaScript on, then off), one page load per page and
language, the widths tried by resizing it. The states behind the later steps (a flow
half-way, a booking's manage page, a waiting list request, an offer) are made once by
the services and the test client, each page given a fresh session of its own."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import import_module
from itertools import count

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from booking import services
from booking.manage_links import manage_path
from booking.models import Procedure, WaitingOffer, WaitingRequest
from booking.models.appointments import new_manage_token
from booking.views.managing import MANAGED
from booking.views.waiting import JOINED, UNLOCKED
from booking.waiting_links import offer_path, status_path
from tests.booking.flow import IDENTITY, hold, pass_gate, pass_identity
from tests.e2e.conftest import serious_axe_violations
from tests.factories import (
    AnnouncementFactory,
    BookingFactory,
    CategoryFactory,
    ProcedureFactory,
    QuestionFactory,
    SiteFactory,
    SlotFactory,
    TitleRecordFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.browser

WIDTHS = (320, 375, 768, 1024, 1280)
AXE_WIDTHS = (375, 1280)
HEIGHT = 800
LANGUAGES = {"fr": "", "en": "/en"}
DSFR_LG = 992  # from here the DSFR shows the header's tools; below, a modal has them

# The document's width against the window's; when wider, the elements whose right
# edge passes the window's, as a lead.
MEASURE = """() => {
    const root = document.documentElement;
    const wide = [];
    if (root.scrollWidth > window.innerWidth) {
        for (const element of document.body.querySelectorAll("*")) {
            const box = element.getBoundingClientRect();
            if (box.width > 0 && box.right > window.innerWidth + 0.5) {
                const classes = [...element.classList].slice(0, 3).join(".");
                wide.push(`${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""}`
                    + `${classes ? "." + classes : ""} (right ${Math.round(box.right)})`);
            }
        }
    }
    return {scrollWidth: root.scrollWidth, innerWidth: window.innerWidth,
            wide: wide.slice(-4)};
}"""


# Two frames later: the DSFR's scripts have answered a resize.
SETTLED = """() => new Promise(
    (done) => requestAnimationFrame(() => requestAnimationFrame(done))
)"""


@dataclass(frozen=True)
class Visit:
    """A public page: its address without the language prefix; the session the
    browser carries there (made afresh for each visit); for a page that answers a
    form, what the person does on the page at ``path`` and an element only the
    answer has."""

    name: str
    path: str
    session: Callable[[], str] | None = None
    act: Callable | None = None
    marker: str = ""


_addresses = count(1)


def _client() -> Client:
    # Each prepared session comes from its own address: the flow's per-address
    # limits (holds, look-ups) are not what this test is about.
    return Client(REMOTE_ADDR=f"10.0.16.{next(_addresses)}")


def _session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _session_with(**values) -> str:
    """A session holding ``values`` (what a view stored once a step was passed)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.update(values)
    store.save()
    return store.session_key


def _choose(situation: str, procedure: Procedure) -> Callable:
    def act(page) -> None:
        page.locator(f'input[name="situation"][value="{situation}"]').check(force=True)
        page.locator('select[name="procedure"]').select_option(str(procedure.pk))
        page.locator('main form button[type="submit"]').click()

    return act


def _identify(numero: str, valid_until: str, postal_code: str) -> Callable:
    def act(page) -> None:
        page.locator('input[name="numero_etranger"]').fill(numero)
        page.locator('input[name="valid_until"]').fill(valid_until)
        page.locator('input[name="postal_code"]').fill(postal_code)
        page.locator('main form button[type="submit"]').click()

    return act


def _click(selector: str) -> Callable:
    def act(page) -> None:
        page.locator(selector).click()

    return act


@pytest.fixture
def public_pages(transactional_db, settings) -> list[Visit]:
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL  # offers go out at any hour
    now = timezone.now()
    AnnouncementFactory()  # a notice on every page
    category = CategoryFactory(name_fr="Titres de séjour", name_en="Residence permits")
    question = QuestionFactory(
        category=category,
        slug="renouveler-mon-titre-de-sejour-pluriannuel",
        question_fr="Comment renouveler mon titre de séjour pluriannuel « passeport "
        "talent — salarié qualifié » ?",
        question_en="How do I renew my multi-year “talent passport — skilled "
        "employee” residence permit?",
    )

    site = SiteFactory(name="Préfecture du Loiret — Orléans")
    renewal = ProcedureFactory(
        slug="renouvellement", name_fr="Renouvellement de titre de séjour"
    )
    collection = ProcedureFactory(
        slug="retrait", channel=Procedure.ChannelChoice.COLLECTION
    )
    sold_out = ProcedureFactory(slug="duplicata")  # no slot: "complet" at the gate
    start = timezone.localtime(now + timedelta(days=5)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    slot = SlotFactory(procedure=renewal, site=site, starts_at=start, capacity=10)
    for hours in (1, 2, 24, 25, 48):
        SlotFactory(
            procedure=renewal, site=site, starts_at=start + timedelta(hours=hours)
        )
    TitleRecordFactory(
        numero_etranger="2008006503", valid_until=date(2028, 3, 31), postal_code="45000"
    )

    # A booking: its code step, its manage page and what it leads to.
    booking = BookingFactory(
        slot=SlotFactory(
            procedure=renewal, site=site, starts_at=start + timedelta(days=20)
        )
    )
    TitleRecordFactory(
        numero_etranger=booking.numero_etranger,
        valid_until=date(2027, 6, 30),
        postal_code="45000",
    )
    manage = manage_path(booking)

    # An offer from the waiting list, and one already answered.
    offered = ProcedureFactory(slug="renouvellement-liste")
    offered_site = SiteFactory(name="Sous-préfecture de Montargis")
    for hours in (0, 1):
        WaitingRequestFactory(procedure=offered, sites=[offered_site])
        SlotFactory(
            procedure=offered,
            site=offered_site,
            starts_at=start + timedelta(days=2, hours=hours),
        )
    assert services.offers_make(procedure_id=offered.pk, now=now) == 2
    open_offer, answered = WaitingOffer.objects.order_by("pk")
    services.offer_decline(offer_id=answered.pk, now=now)

    # Waiting list requests: a live one (joined, its status), one withdrawn.
    waiting = WaitingRequestFactory(procedure=renewal, sites=[site])
    TitleRecordFactory(
        numero_etranger=waiting.numero_etranger,
        valid_until=waiting.title_valid_until,
        postal_code="45000",
    )
    withdrawn = WaitingRequestFactory(
        procedure=renewal, sites=[site], status=WaitingRequest.Status.WITHDRAWN
    )

    def after_gate() -> str:
        client = _client()
        pass_gate(client, renewal)
        return _session_key(client)

    def identified(identity=IDENTITY, procedure=renewal) -> Callable[[], str]:
        def session() -> str:
            client = _client()
            assert pass_identity(client, procedure, identity).status_code == 302
            return _session_key(client)

        return session

    def holding() -> str:
        client = _client()
        assert hold(client, renewal, slot).status_code == 302
        return _session_key(client)

    waiting_identity = {
        "numero_etranger": waiting.numero_etranger,
        "valid_until": waiting.title_valid_until.strftime("%d/%m/%Y"),
        "postal_code": "45000",
    }
    return [
        Visit("home", "/"),
        Visit("faq", "/faq/"),
        Visit("faq search", "/faq/?q=titre"),
        Visit("faq question", f"/faq/{question.slug}/"),
        Visit("accessibility", "/accessibilite/"),
        Visit("not found", "/cette-page-n-existe-pas/"),
        Visit("booking start", "/rendez-vous/"),
        Visit(
            "gate: récépissé (ANEF)",
            "/rendez-vous/",
            act=_choose("recepisse", renewal),
            marker='main a[href="https://invite.contacts-demarches.interieur.gouv.fr/Etrangers"]',
        ),
        Visit(
            "gate: first request",
            "/rendez-vous/",
            act=_choose("premiere_demande", renewal),
            marker='main a[href^="https://www.demarches-simplifiees.fr/"]',
        ),
        Visit(
            "gate: card collection",
            "/rendez-vous/",
            act=_choose("titre_sejour", collection),
            marker="main:not(:has(form)) .fr-alert--info",
        ),
        Visit(
            "gate: complet",
            "/rendez-vous/",
            act=_choose("titre_sejour", sold_out),
            marker='main form[action$="/rendez-vous/identite/"] input[name=numero_etranger]',
        ),
        Visit("identity", "/rendez-vous/identite/", session=after_gate),
        Visit(
            "identity with errors",
            "/rendez-vous/identite/",
            session=after_gate,
            act=_identify("12345", "31/12", "45000"),
            marker="#error-summary",
        ),
        Visit(
            "already booked",
            "/rendez-vous/identite/",
            session=after_gate,
            act=_identify(booking.numero_etranger, "30/06/2027", "45000"),
            marker="main:not(:has(input[name=numero_etranger])) .fr-alert--info",
        ),
        Visit("slots", "/rendez-vous/creneaux/", session=identified()),
        Visit("details", "/rendez-vous/coordonnees/", session=holding),
        Visit(
            "done",
            "/rendez-vous/confirme/",
            session=lambda: _session_with(booked=booking.reference),
        ),
        Visit("manage: code step", manage),
        Visit(
            "manage: code sent",
            manage,
            act=_click('main form:has(input[name="send"]) button[type="submit"]'),
            marker="main .fr-alert--success",
        ),
        Visit(
            "manage",
            manage,
            session=lambda: _session_with(**{MANAGED: booking.manage_token}),
        ),
        Visit(
            "cancel",
            f"{manage}annuler/",
            session=lambda: _session_with(**{MANAGED: booking.manage_token}),
        ),
        Visit(
            "move",
            f"{manage}deplacer/",
            session=lambda: _session_with(**{MANAGED: booking.manage_token}),
        ),
        Visit(
            "an earlier date",
            f"{manage}plus-tot/",
            session=lambda: _session_with(**{MANAGED: booking.manage_token}),
        ),
        Visit("link not valid", f"/rendez-vous/liste/{new_manage_token()}/"),
        Visit(
            # Joined when nothing is free: a place shown leads to the slot list.
            "waiting list: join",
            "/rendez-vous/liste-attente/",
            session=identified(procedure=sold_out),
        ),
        Visit(
            "waiting list: already on it",
            "/rendez-vous/liste-attente/",
            session=identified(waiting_identity),
        ),
        Visit(
            "waiting list: joined",
            "/rendez-vous/liste-attente/inscrit/",
            session=lambda: _session_with(**{JOINED: waiting.token}),
        ),
        Visit("waiting list: code step", status_path(waiting)),
        Visit(
            "waiting list: status",
            status_path(waiting),
            session=lambda: _session_with(**{UNLOCKED: waiting.token}),
        ),
        Visit(
            "waiting list: withdraw",
            f"{status_path(waiting)}retirer/",
            session=lambda: _session_with(**{UNLOCKED: waiting.token}),
        ),
        Visit("waiting list: ended", status_path(withdrawn)),
        Visit("offer", offer_path(open_offer)),
        Visit(
            "offer: decline",
            offer_path(open_offer),
            act=_click('main button[name="answer"][value="decline"]'),
            marker='main input[name="confirm"]',
        ),
        Visit("offer: answered", offer_path(answered)),
    ]


def _language_switch_reachable(page, width: int, language: str, javascript: bool):
    """Without JavaScript the other language's link itself is on screen; with it,
    the button that opens it (the header's, or the menu's on a narrow window)."""
    other = "fr" if language == "en" else "en"
    if not javascript:
        link = page.locator(f'header a.fr-translate__language[hreflang="{other}"]')
        return link.first.is_visible()
    if width >= DSFR_LG:
        return page.locator(".fr-header__tools .fr-translate__btn").is_visible()
    return page.locator("#button-menu").is_visible()


def _check_pages(browser, live_server, visits: list[Visit], javascript: bool):
    """Every page in both languages at every width; returns what went wrong."""
    problems: list[str] = []
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(10_000)
    if not javascript:
        # The pages' scripts are all files: refused, the page is what a browser
        # without JavaScript shows (there is no <noscript>, checked below), while
        # axe-core, which needs timers, can still run.
        context.route(re.compile(r"\.m?js(\?.*)?$"), lambda route: route.abort())
    page = context.new_page()
    try:
        for visit in visits:
            for language, prefix in LANGUAGES.items():
                where = f"{visit.name} [{language}]"
                context.clear_cookies()
                if visit.session is not None:
                    context.add_cookies(
                        [
                            {
                                "name": settings.SESSION_COOKIE_NAME,
                                "value": visit.session(),
                                "url": live_server.url,
                            }
                        ]
                    )
                page.set_viewport_size({"width": 1280, "height": HEIGHT})
                page.goto(prefix + visit.path)
                if visit.act is not None:
                    visit.act(page)
                    page.wait_for_load_state()
                    if page.locator(visit.marker).count() == 0:
                        problems.append(f"{where}: not reached (at {page.url})")
                        continue
                else:
                    reached = page.evaluate("location.pathname + location.search")
                    if reached != prefix + visit.path:
                        problems.append(f"{where}: sent on to {reached}")
                        continue
                if javascript:
                    expect(page.locator("html")).to_have_attribute("data-fr-js", "true")
                else:
                    assert page.locator("noscript").count() == 0, where
                    assert page.locator("html[data-fr-js]").count() == 0, where
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": HEIGHT})
                    if javascript:  # the DSFR's scripts answer the resize first
                        page.evaluate(SETTLED)
                    measured = page.evaluate(MEASURE)
                    if measured["scrollWidth"] > measured["innerWidth"]:
                        problems.append(
                            f"{where} at {width} px: {measured['scrollWidth']} px wide"
                            f" ({', '.join(measured['wide'])})"
                        )
                    if not _language_switch_reachable(
                        page, width, language, javascript
                    ):
                        problems.append(
                            f"{where} at {width} px: no language switch to reach"
                        )
                    if width in AXE_WIDTHS:
                        problems.extend(
                            f"{where} at {width} px, axe: {line}"
                            for line in serious_axe_violations(page)
                        )
    finally:
        context.close()
    return problems


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_every_public_page_fits_every_width_and_passes_axe(
    browser, live_server, public_pages, javascript
):
    problems = _check_pages(browser, live_server, public_pages, javascript)
    if problems:
        pytest.fail(
            f"{len(problems)} problem(s):\n" + "\n".join(problems), pytrace=False
        )


# --- the language switch itself -----------------------------------------------------


@pytest.fixture
def no_js_page(browser, live_server, transactional_db):
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", java_script_enabled=False
    )
    context.set_default_timeout(5_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_without_javascript_the_language_switch_is_a_link_reached_by_tab(
    no_js_page, width
):
    page = no_js_page
    page.set_viewport_size({"width": width, "height": HEIGHT})
    page.goto("/faq/")
    english = page.locator('header a.fr-translate__language[hreflang="en"]')
    expect(english).to_be_visible()
    expect(english).to_have_attribute("lang", "en")
    expect(english).to_have_attribute("href", "/en/faq/")

    for _ in range(12):  # the skip links come first, then the header
        page.keyboard.press("Tab")
        if english.evaluate("link => link === document.activeElement"):
            break
    else:
        pytest.fail(f"Tab never reached the language switch at {width} px")
    outline = english.evaluate("link => getComputedStyle(link).outlineStyle")
    assert outline not in ("", "none"), "the focused link shows no focus ring"

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/en/faq/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    french = page.locator('header a.fr-translate__language[hreflang="fr"]')
    expect(french).to_be_visible()
    expect(french).to_have_attribute("href", "/faq/")


def test_without_javascript_a_phone_shows_the_navigation_without_a_dead_menu_button(
    no_js_page,
):
    page = no_js_page
    page.set_viewport_size({"width": 320, "height": HEIGHT})
    page.goto("/")
    expect(page.locator("#button-menu")).to_be_hidden()
    navigation = page.get_by_role("navigation", name="Menu principal")
    expect(navigation.get_by_role("link", name="Prendre rendez-vous")).to_be_visible()
    expect(navigation.get_by_role("link", name="Questions fréquentes")).to_be_visible()


def test_with_javascript_on_a_phone_the_menu_leads_to_the_language_switch(page):
    page.set_viewport_size({"width": 375, "height": HEIGHT})
    page.goto("/faq/")
    expect(page.locator("html")).to_have_attribute("data-fr-js", "true")
    expect(page.locator(".fr-header__tools .fr-translate__btn")).to_be_hidden()
    page.locator("#button-menu").click()
    menu = page.locator("#modal-menu")
    menu.locator(".fr-translate__btn").click()
    english = menu.locator('a.fr-translate__language[hreflang="en"]')
    expect(english).to_be_visible()
    english.click()
    expect(page).to_have_url(re.compile(r"/en/faq/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_without_javascript_the_faq_answers_are_on_the_page(no_js_page):
    # The DSFR lifts a closed accordion's content 99999 px up until its script runs.
    question = QuestionFactory(answer_fr="Déposez la demande **deux mois** avant.")
    page = no_js_page
    page.goto("/faq/")
    answer = page.locator(f"#reponse-{question.slug}")
    expect(answer).to_contain_text("deux mois")
    box = answer.get_by_text("deux mois").bounding_box()
    assert box is not None and box["y"] > 0, f"the answer is drawn at {box}"
