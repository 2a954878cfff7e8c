"""The change cut-off as the applicant meets it in a browser (issue 16, item 2): a
time inside it says so where it is chosen, and the manage page of an appointment
inside it offers no "Déplacer"/"Annuler" but the front desk's phone, e-mail and
address. Phone and desktop, with and without JavaScript, French and English."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from tests.booking.flow import pass_identity, registered_title, unlock_manage
from tests.e2e.conftest import (
    assert_no_serious_axe_violations,
    hand_session_to_browser,
)
from tests.factories import BookingFactory, ProcedureFactory, SiteFactory, SlotFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 800}
WIDTHS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
SCRIPTS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


@pytest.fixture
def desk(transactional_db):
    return SiteFactory(
        name="Orléans",
        phone="02 38 81 40 00",
        email="pref-etrangers@loiret.gouv.fr",
        address="181 rue de Bourgogne\n45000 Orléans",
    )


def open_page(browser, live_server, client, path, *, viewport, javascript, locale):
    context = browser.new_context(
        base_url=live_server.url,
        locale=locale,
        viewport=viewport,
        java_script_enabled=javascript,
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    hand_session_to_browser(page, live_server, client)
    page.goto(path)
    return context, page


@WIDTHS
@SCRIPTS
@pytest.mark.parametrize(
    ("language", "prefix", "move", "cancel", "phone"),
    [
        ("fr", "", "Déplacer le rendez-vous", "Annuler le rendez-vous", "Téléphone :"),
        ("en", "/en", "Change the appointment", "Cancel the appointment", "Phone:"),
    ],
)
def test_too_late_the_manage_page_gives_the_front_desk_instead_of_buttons(
    browser,
    live_server,
    desk,
    viewport,
    javascript,
    language,
    prefix,
    move,
    cancel,
    phone,
):
    booking = BookingFactory(
        slot=SlotFactory(site=desk, starts_at=timezone.now() + timedelta(hours=5)),
        language=language,
    )
    client = Client()
    path = unlock_manage(client, booking)
    context, page = open_page(
        browser,
        live_server,
        client,
        prefix + path,
        viewport=viewport,
        javascript=javascript,
        locale=f"{language}-FR",
    )
    try:
        expect(page.get_by_role("link", name=move)).to_have_count(0)
        expect(page.get_by_role("link", name=cancel)).to_have_count(0)
        expect(page.get_by_role("link", name="02 38 81 40 00")).to_be_visible()
        expect(page.get_by_role("link", name="02 38 81 40 00")).to_have_attribute(
            "href", "tel:0238814000"
        )
        expect(page.get_by_text(phone)).to_be_visible()
        expect(
            page.get_by_role("link", name="pref-etrangers@loiret.gouv.fr")
        ).to_be_visible()
        desk_item = page.locator("li", has_text="181 rue de Bourgogne").last
        expect(desk_item).to_be_visible()
        expect(desk_item).to_contain_text("Orléans")
        if javascript:  # axe runs on timers, which a page without scripts lacks
            assert_no_serious_axe_violations(page)
    finally:
        context.close()


@WIDTHS
@SCRIPTS
def test_a_time_inside_the_cutoff_says_so_where_it_is_chosen(
    browser, live_server, desk, viewport, javascript
):
    procedure = ProcedureFactory(slug="renouvellement", min_notice_hours=0)
    soon = SlotFactory(
        procedure=procedure, site=desk, starts_at=timezone.now() + timedelta(hours=3)
    )
    registered_title()
    client = Client()
    pass_identity(client, procedure)
    day = timezone.localtime(soon.starts_at).date().isoformat()
    context, page = open_page(
        browser,
        live_server,
        client,
        f"/rendez-vous/creneaux/?du={day}",
        viewport=viewport,
        javascript=javascript,
        locale="fr-FR",
    )
    try:
        label = page.locator(f'label[for="slot-{soon.pk}"]')
        expect(label).to_contain_text(
            "moins de 24 heures : ne pourra être ni déplacé ni annulé en ligne"
        )
        expect(label).to_be_visible()
        if javascript:
            assert_no_serious_axe_violations(page)
    finally:
        context.close()
