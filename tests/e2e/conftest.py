"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's
``live_server``, with axe-core (from npm, see the Makefile) for accessibility.

Chromium is never downloaded here (no ``playwright install``): the tests use
/usr/bin/chromium. Without it, or without axe-core, the tests are skipped with one
line saying why, except under ``CI=true`` where that is a failure.
"""

import os

import pytest
from django.conf import settings
from django.test import Client

from tests.environment import AXE_JS, CHROMIUM

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERIOUS_IMPACTS = ("serious", "critical")


# Package scope, not session: while Playwright's sync API is started, an asyncio
# loop counts as running in the main thread. Stopping it after the last browser test
# keeps that loop (and DJANGO_ALLOW_ASYNC_UNSAFE) away from the other tests.
@pytest.fixture(scope="package")
def browser():
    # Chromium and axe-core are checked by tests.environment (skip, or fail in CI).
    from playwright.sync_api import sync_playwright

    # The sync API keeps an event loop running in the main thread, which makes
    # Django's ORM (used by the tests' factories) refuse to run without this.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, transactional_db):
    """A fresh browser context per test, under the site's real Content-Security-Policy
    (a script without the nonce would fail here as in production)."""
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(5_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def serious_axe_violations(page) -> list[str]:
    """Runs axe-core on the page: one line per serious or critical violation (rule,
    impact, help, the elements' selectors)."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern;
    # once per page load (a page checked at two widths keeps it).
    if page.evaluate("typeof window.axe === 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                targets: v.nodes.map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [
        f"- {v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'])}"
        for v in violations
        if v["impact"] in SERIOUS_IMPACTS
    ]


def assert_no_serious_axe_violations(page) -> None:
    """Runs axe-core on the page; fails listing every serious or critical violation."""
    serious = serious_axe_violations(page)
    if serious:
        pytest.fail(
            f"axe: {len(serious)} serious/critical violation(s) on {page.url}:\n"
            + "\n".join(serious),
            pytrace=False,
        )


def hand_session_to_browser(page, live_server, client: Client) -> None:
    """The session a Django test client opened (password and second factor passed,
    see tests.agents) handed to the browser page."""
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
