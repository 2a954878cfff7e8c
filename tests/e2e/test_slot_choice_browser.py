"""The slot choice on a phone and on a desktop, with and without JavaScript: one
day at a time, and the button always within the screen of the time chosen (issue
16: a month of radios was 14,000 px tall, the button fifteen screens below)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from booking.models import Booking
from tests.booking.flow import pass_identity, registered_title, unlock_manage
from tests.e2e.conftest import (
    assert_no_serious_axe_violations,
    hand_session_to_browser,
)
from tests.factories import BookingFactory, ProcedureFactory, SiteFactory, SlotFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}
TIMES_A_DAY = 24


@pytest.fixture
def renewal(transactional_db):
    """Three days of 24 times each (every 15 minutes from 9:00), at two sites."""
    procedure = ProcedureFactory(slug="renouvellement", name_fr="Renouvellement")
    sites = [SiteFactory(name="Orléans"), SiteFactory(name="Montargis")]
    first = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    for day in range(3):
        for n in range(TIMES_A_DAY):
            SlotFactory(
                procedure=procedure,
                site=sites[n % 2],
                starts_at=first + timedelta(days=day, minutes=15 * n),
            )
    registered_title()
    return procedure


def browser_page(browser, live_server, *, viewport, javascript):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        viewport=viewport,
        java_script_enabled=javascript,
    )
    context.set_default_timeout(5_000)
    return context, context.new_page()


def assert_button_in_sight_of_each_time(page, button_name: str) -> None:
    """Picks each time of the day in turn: the time is visible, not under the
    button bar, and the button is on the same screen."""
    labels = page.locator('.slot-times label[for^="slot-"]')
    assert labels.count() == TIMES_A_DAY  # one day, not the whole month
    button = page.get_by_role("button", name=button_name)
    for index in range(labels.count()):
        label = labels.nth(index)
        label.scroll_into_view_if_needed()
        label.click()
        geometry = page.evaluate(
            """([label, button]) => {
                const l = label.getBoundingClientRect();
                const b = button.getBoundingClientRect();
                const hit = document.elementFromPoint(l.left + 4, l.top + l.height / 2);
                return {
                    screen: window.innerHeight,
                    labelTop: l.top, labelBottom: l.bottom,
                    buttonTop: b.top, buttonBottom: b.bottom,
                    labelOnTop: label.contains(hit) || hit === label.control,
                };
            }""",
            [label.element_handle(), button.element_handle()],
        )
        assert (
            geometry["labelTop"] >= 0 and geometry["labelBottom"] <= geometry["screen"]
        )
        assert (
            geometry["buttonTop"] >= 0
            and geometry["buttonBottom"] <= geometry["screen"]
        )
        assert geometry["labelOnTop"], f"time {index} is under the button bar"
        expect(
            page.locator('.slot-times input[name="slot"]').nth(index)
        ).to_be_checked()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_the_slot_page_shows_one_day_with_its_button_in_sight(
    browser, live_server, renewal, viewport, javascript
):
    client = Client()
    pass_identity(client, renewal)
    context, page = browser_page(
        browser, live_server, viewport=viewport, javascript=javascript
    )
    try:
        hand_session_to_browser(page, live_server, client)
        page.goto("/rendez-vous/creneaux/")
        first_day = page.locator("#slot-day").inner_text()
        assert_button_in_sight_of_each_time(page, "Réserver ce créneau")
        if javascript:  # the bar names what the button books
            expect(page.locator("#slot-chosen")).to_contain_text("Créneau choisi :")
            expect(page.locator("#slot-chosen")).to_contain_text("14:45 — Montargis")
            # axe runs on timers, which do not fire in a page without scripts.
            assert_no_serious_axe_violations(page)

        page.get_by_role("link", name="Jour suivant").click()
        expect(page.locator("#slot-day")).not_to_have_text(first_day)
        page.get_by_text("Voir les 3 dates disponibles").click()
        expect(page.locator('.slot-days__all a[aria-current="date"]')).to_be_visible()
        page.locator('.slot-times label[for^="slot-"]').nth(2).click()
        page.get_by_role("button", name="Réserver ce créneau").click()
        expect(page).to_have_url("/rendez-vous/coordonnees/")
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_move_page_shows_one_day_with_its_button_in_sight(
    browser, live_server, renewal, javascript
):
    booking = BookingFactory(
        slot=SlotFactory(
            procedure=renewal,
            starts_at=timezone.now() + timedelta(days=10),
        ),
        numero_etranger="2008006503",
    )
    client = Client()
    path = unlock_manage(client, booking)
    context, page = browser_page(
        browser, live_server, viewport=PHONE, javascript=javascript
    )
    try:
        hand_session_to_browser(page, live_server, client)
        page.goto(f"{path}deplacer/")
        expect(page.get_by_text("Votre rendez-vous actuel")).to_be_visible()
        assert_button_in_sight_of_each_time(page, "Choisir ce créneau")
        if javascript:
            assert_no_serious_axe_violations(page)
        page.get_by_role("button", name="Choisir ce créneau").click()
        page.get_by_role("button", name="Confirmer le déplacement").click()
        expect(page.get_by_text("Votre rendez-vous est déplacé.")).to_be_visible()
        booking.refresh_from_db()
        assert timezone.localtime(booking.slot.starts_at).strftime("%H:%M") == "14:45"
        assert Booking.objects.count() == 1
    finally:
        context.close()
