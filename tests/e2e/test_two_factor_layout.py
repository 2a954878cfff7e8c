"""The second-factor pages look like the login page at every width: no admin menu
inside the login box, the QR code whole, the field and both buttons on screen."""

import tempfile
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from prefecture.two_factor import totp_enrolment_issue
from tests.e2e.conftest import assert_no_serious_axe_violations

pytestmark = pytest.mark.browser

PASSWORD = "mot de passe solide 47"
WIDTHS = [(1280, 800), (375, 812)]

# Scrolls the element into view, then returns what hides any part of it: the
# viewport's edges, or an ancestor whose overflow is not visible (it clips).
_HIDDEN_PARTS = """(element) => {
    element.scrollIntoView({block: "center", inline: "nearest"});
    const box = element.getBoundingClientRect();
    const problems = [];
    if (box.width === 0 || box.height === 0) problems.push("no size");
    const vw = document.documentElement.clientWidth, vh = window.innerHeight;
    if (box.left < 0 || box.top < 0 || box.right > vw + 0.5 || box.bottom > vh + 0.5) {
        problems.push(`outside the viewport ${vw}x${vh}: ${JSON.stringify(box)}`);
    }
    for (let node = element.parentElement; node; node = node.parentElement) {
        const style = getComputedStyle(node);
        if (style.overflowX === "visible" && style.overflowY === "visible") continue;
        const outer = node.getBoundingClientRect();
        if (box.left < outer.left - 0.5 || box.right > outer.right + 0.5 ||
            box.top < outer.top - 0.5 || box.bottom > outer.bottom + 0.5) {
            problems.push(`clipped by <${node.tagName.toLowerCase()}` +
                `${node.id ? " id=" + node.id : ""}>: ${JSON.stringify(outer)}`);
        }
    }
    return problems;
}"""


def _assert_wholly_visible(page, locator, what: str) -> None:
    problems = locator.evaluate(_HIDDEN_PARTS)
    assert problems == [], f"{what}: {problems}"


def _assert_laid_out_as_the_login_page(page, *, name: str) -> None:
    # Kept for a person to look at: /tmp/twofa-*.png
    shot = Path(tempfile.gettempdir()) / f"twofa-{name}.png"
    page.screenshot(path=shot, full_page=True)
    expect(page.locator("body.login")).to_have_count(1)
    expect(page.locator("#nav-sidebar")).to_have_count(0)
    expect(page.locator("#toggle-nav-sidebar")).to_have_count(0)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    assert_no_serious_axe_violations(page)


def _log_in(page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_enrolment_page_shows_the_whole_qr_code(page, django_user_model, width, height):
    agent = django_user_model.objects.create_user(
        "agent.qr", password=PASSWORD, is_staff=True, is_superuser=True
    )
    code, _grant = totp_enrolment_issue(user=agent, by=None, now=timezone.now())
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"/admin/enrolement/{code}/")
    _log_in(page, "agent.qr")
    expect(page.locator("h1")).to_have_text(
        "Mise en place de la double authentification"
    )

    _assert_laid_out_as_the_login_page(page, name=f"enrolment-{width}")
    _assert_wholly_visible(page, page.locator("svg.segno"), "the QR code")
    _assert_wholly_visible(page, page.locator(".second-factor-secret"), "the key")
    _assert_wholly_visible(page, page.get_by_label("Code à 6 chiffres"), "the field")
    _assert_wholly_visible(
        page, page.get_by_role("button", name="Valider"), "the submit button"
    )
    _assert_wholly_visible(
        page, page.get_by_role("button", name="Se déconnecter"), "the log out button"
    )


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_code_page_shows_the_field_and_both_buttons(
    page, django_user_model, width, height
):
    agent = django_user_model.objects.create_user(
        "agent.code", password=PASSWORD, is_staff=True, is_superuser=True
    )
    TOTPDevice.objects.create(user=agent, name="app", confirmed=True)
    page.set_viewport_size({"width": width, "height": height})
    _log_in(page, "agent.code")
    expect(page.locator("h1")).to_have_text("Code de vérification")

    _assert_laid_out_as_the_login_page(page, name=f"code-{width}")
    _assert_wholly_visible(page, page.get_by_label("Code à 6 chiffres"), "the field")
    _assert_wholly_visible(
        page, page.get_by_role("button", name="Valider"), "the submit button"
    )
    _assert_wholly_visible(
        page, page.get_by_role("button", name="Se déconnecter"), "the log out button"
    )


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_enrolment_code_page_shows_the_field_and_both_buttons(
    page, django_user_model, width, height
):
    django_user_model.objects.create_user(
        "agent.nouveau", password=PASSWORD, is_staff=True, is_superuser=True
    )
    page.set_viewport_size({"width": width, "height": height})
    _log_in(page, "agent.nouveau")
    expect(page.locator("h1")).to_have_text("Double authentification à mettre en place")

    _assert_laid_out_as_the_login_page(page, name=f"enrolment-code-{width}")
    _assert_wholly_visible(page, page.get_by_label("Code d'enrôlement"), "the field")
    _assert_wholly_visible(
        page, page.get_by_role("button", name="Valider"), "the submit button"
    )
    _assert_wholly_visible(
        page, page.get_by_role("button", name="Se déconnecter"), "the log out button"
    )
