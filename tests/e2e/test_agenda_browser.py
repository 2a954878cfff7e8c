"""The day agenda on a counter tablet (375 px wide): every action within the
viewport, the cancellation through its confirmation page."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from booking import services
from booking.models import Booking, ClosureDay
from tests.agents import login_agent
from tests.e2e.conftest import assert_no_serious_axe_violations
from tests.factories import BookingFactory, CardFactory, SlotFactory

pytestmark = pytest.mark.browser

TABLET = {"width": 375, "height": 812}


def log_in_as_agent(page, live_server, django_user_model):
    """The agent's session, opened (password and second factor) by Django's test
    client, handed to the browser."""
    user = django_user_model.objects.create_user(
        "accueil", password="x" * 16, is_staff=True, is_superuser=True
    )
    client = login_agent(Client(), user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def assert_within_viewport(page, selector: str) -> int:
    boxes = page.eval_on_selector_all(
        selector,
        """els => els.filter(e => e.offsetParent !== null).map(e => {
            const r = e.getBoundingClientRect();
            return [e.textContent.trim(), r.left, r.right];
        })""",
    )
    outside = [box for box in boxes if box[1] < 0 or box[2] > TABLET["width"]]
    assert not outside, f"outside the {TABLET['width']} px viewport: {outside}"
    return len(boxes)


def test_agenda_actions_within_375_px_and_cancel_confirmed(
    page, live_server, django_user_model
):
    now = timezone.localtime()
    ended = BookingFactory(
        slot=SlotFactory(starts_at=now.replace(hour=0, minute=0) - timedelta(hours=1)),
        last_name="Nguyen-Vasquez de la Fontaine",
    )
    day = timezone.localdate(ended.slot.starts_at).isoformat()
    log_in_as_agent(page, live_server, django_user_model)
    page.set_viewport_size(TABLET)

    page.goto(f"/admin/booking/booking/agenda/?day={day}")
    expect(page.get_by_role("button", name="Présent")).to_be_visible()
    assert (
        assert_within_viewport(page, ".agenda-actions button, .agenda-actions a") >= 5
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"the agenda is {width} px wide at 375 px"
    assert_no_serious_axe_violations(page)
    # Ended: marked present or absent, no longer cancelled with an SMS.
    expect(
        page.get_by_role("button", name="Annuler (prévient l’usager)")
    ).to_be_disabled()

    upcoming = BookingFactory(
        slot=SlotFactory(starts_at=timezone.now() + timedelta(hours=2)),
        last_name="Nguyen-Vasquez de la Fontaine",
    )
    day = timezone.localdate(upcoming.slot.starts_at).isoformat()
    page.goto(f"/admin/booking/booking/agenda/?day={day}")
    page.get_by_role("link", name="Annuler (prévient l’usager)").click()
    # The agenda names the reference too: the confirmation page's field is awaited.
    expect(page.get_by_label("Message à l’usager (facultatif)")).to_be_visible()
    expect(page.locator("#content-main")).to_contain_text(upcoming.reference)
    assert assert_within_viewport(page, ".agenda-cancel button, .agenda-cancel a") == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    assert_no_serious_axe_violations(page)
    page.get_by_label("Message à l’usager (facultatif)").fill("Guichet fermé.")
    page.get_by_role("button", name="Oui, annuler le rendez-vous").click()

    expect(page.locator(".messagelist")).to_contain_text("annulé")
    assert page.url.endswith(f"/admin/booking/booking/agenda/?day={day}")
    upcoming.refresh_from_db()
    assert upcoming.status == Booking.Status.CANCELLED
    assert upcoming.messages.get().body.endswith(" Guichet fermé.")


def test_collection_desk_and_uploads_within_375_px(
    page, live_server, django_user_model
):
    card = CardFactory(last_name="Nguyen-Vasquez de la Fontaine")
    services.card_mark_ready(card_ids=[card.pk], by="instructeur", now=timezone.now())
    log_in_as_agent(page, live_server, django_user_model)
    page.set_viewport_size(TABLET)

    page.goto(f"/admin/booking/card/remise/?q={card.numero_etranger}")
    expect(page.get_by_role("button", name="Remettre le titre")).to_be_visible()
    controls = (
        "#content-main :is(button, input[type=submit], input[type=search], textarea)"
    )
    # the search and its button; hand over, the override's motive and its button
    assert assert_within_viewport(page, controls) == 5
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"the desk is {width} px wide at 375 px"
    assert_no_serious_axe_violations(page)

    for path in [
        "/admin/booking/card/livraison/",
        "/admin/booking/titlerecord/importer/",
    ]:
        page.goto(path)
        assert (
            assert_within_viewport(page, "#content-main input:not([type=hidden])") == 2
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= TABLET["width"], f"{path} is {width} px wide at 375 px"


def test_closure_history_and_statistics_fit_375_px(
    page, live_server, django_user_model
):
    """Wide tables scroll within their box: the page itself stays 375 px wide."""
    booking = BookingFactory(
        slot=SlotFactory(starts_at=timezone.now() + timedelta(days=3)),
        last_name="Nguyen-Vasquez de la Fontaine",
    )
    closure = ClosureDay.objects.create(
        site=booking.slot.site, day=timezone.localdate(booking.slot.starts_at)
    )
    log_in_as_agent(page, live_server, django_user_model)
    page.set_viewport_size(TABLET)

    for path in [
        f"/admin/booking/closureday/{closure.pk}/rendez-vous/",
        f"/admin/booking/booking/{booking.pk}/history/",
        f"/admin/booking/closureday/{closure.pk}/history/",
        "/admin/booking/booking/statistiques/",
    ]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= TABLET["width"], f"{path} is {width} px wide at 375 px"
        assert_no_serious_axe_violations(page)
    assert assert_within_viewport(page, "#content-main button") == 1
