"""axe-core on every admin page each role uses: a browser walks, as an agent of the
role, from the admin index to each list, one of its objects, the add page, the
history and the pages of their own (agenda, desk, delivery list, import, statistics,
the waiting list's actions, a closure's appointments), with data on every list."""

from datetime import date, time, timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking import services
from booking.models import ClosureDay, OpeningSchedule
from booking.roles import ROLES, permission_codenames
from tests.agents import login_agent
from tests.e2e.conftest import hand_session_to_browser, serious_axe_violations
from tests.factories import (
    AnnouncementFactory,
    BookingFactory,
    CardFactory,
    CategoryFactory,
    ProcedureFactory,
    QuestionFactory,
    SiteFactory,
    SlotFactory,
    TitleRecordFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.browser

# Never followed: leaving the admin, exports, Django's JavaScript catalogue.
SKIPPED = ("/admin/logout/", "/admin/jsi18n/", "/admin/r/", "format=csv")
# The pages of their own each role must have reached (the walk found its way).
EXPECTED = {
    "accueil": [
        "admin:booking_booking_agenda",
        "admin:booking_card_desk",
        "admin:booking_booking_changelist",
        "admin:booking_waitingrequest_changelist",
    ],
    "instruction": [
        "admin:booking_card_delivery",
        "admin:booking_titlerecord_import",
        "admin:booking_titlerecord_add",
        "admin:booking_outgoingmessage_changelist",
    ],
    "encadrement": [
        "admin:booking_booking_agenda",
        "admin:booking_booking_statistics",
        "admin:booking_card_desk",
        "admin:faq_question_changelist",
        "admin:faq_question_add",
        "admin:faq_announcement_changelist",
        "admin:booking_openingschedule_changelist",
    ],
}


@pytest.fixture
def admin_data(transactional_db):
    """Something on every list: today's appointment, a closure with an appointment
    on it, a card ready with its SMS, the register, a schedule, the waiting list,
    the FAQ."""
    now = timezone.now()
    site = SiteFactory()
    procedure = ProcedureFactory()
    booking = BookingFactory(
        slot=SlotFactory(site=site, procedure=procedure, starts_at=now),
        last_name="Nguyen-Vasquez de la Fontaine",
    )
    services.booking_flag_numero(booking_id=booking.pk, by="cheffe", note="à voir")
    closed = BookingFactory(
        slot=SlotFactory(site=site, procedure=procedure, starts_at=now + timedelta(3))
    )
    closure = ClosureDay.objects.create(
        site=site, day=timezone.localdate(closed.slot.starts_at), reason="grève"
    )
    card = CardFactory(site=site, last_name="Martin")
    services.card_mark_ready(card_ids=[card.pk], by="instructeur", now=now)
    TitleRecordFactory()
    OpeningSchedule.objects.create(
        site=site,
        procedure=procedure,
        weekday=0,
        starts=time(9),
        ends=time(12),
        valid_from=date(2026, 1, 5),
    )
    WaitingRequestFactory(procedure=procedure, sites=[site])
    category = CategoryFactory()
    for _ in range(3):
        QuestionFactory(category=category)
    AnnouncementFactory()
    return {
        "day": timezone.localdate(booking.slot.starts_at),
        "card": card,
        "closure": closure,
    }


def _links(page, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        selector, "els => els.map(e => e.getAttribute('href'))"
    )
    return [href for href in hrefs if href and href.startswith("/admin/")]


def _next_pages(page) -> list[str]:
    """The admin pages an agent reaches from this one: from the index (or an app's)
    every link of the content and the agent's own tools; from a list its first
    object and its buttons; from an object its history, deletion and other
    buttons; from a history its first version; from the agenda its first
    cancellation."""
    body = page.get_attribute("body", "class") or ""
    if "dashboard" in body or "app-list" in body:
        return _links(page, "#content-main a, .agent-shortcuts a, #user-tools a")
    if "change-list" in body:
        return _links(page, "#result_list tbody tr a, .object-tools a")
    if "change-form" in body:
        return _links(page, ".object-tools a, .submit-row a.deletelink")
    if page.locator("#change-history").count():
        return _links(page, "#change-history tbody a")[:1]
    if page.locator("table.agenda-table").count():
        return _links(page, ".agenda-actions a")[:1]
    return []


def _first_of_each(urls: list[str]) -> list[str]:
    """One change page per list (the first row is as good as the others)."""
    kept, seen = [], set()
    for url in urls:
        parts = urlsplit(url)
        segments = parts.path.strip("/").split("/")
        # /admin/<app>/<model>/<pk>/change/: one per model
        key = (
            (*segments[:3], "object")
            if len(segments) == 5 and segments[-1] == "change"
            else url
        )
        if key not in seen:
            seen.add(key)
            kept.append(url)
    return kept


def _agent(role: str) -> User:
    """An agent of the role. The migration's groups are gone once a browser test
    has flushed the database: the group is made again from booking.roles."""
    group, _created = Group.objects.get_or_create(name=role)
    wanted = Q()
    for app_label, codename in permission_codenames(role):
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.set(Permission.objects.filter(wanted))
    user = User.objects.create_user(f"agent-{role}", password="x" * 16, is_staff=True)
    user.groups.add(group)
    return user


def _visit(page, url: str, failures: dict[str, list[str]]) -> bool:
    response = page.goto(url)
    if response is None or response.status != 200:
        failures[url] = [f"- HTTP {response.status if response else 'none'}"]
        return False
    serious = serious_axe_violations(page)
    if serious:
        failures[url] = serious
    return True


def _action(changelist: str, action: str):
    """The page an action shows before acting (its reason, the deletion's
    confirmation), for the first row of the list."""

    def show(page, data) -> None:
        page.goto(reverse(changelist))
        page.locator("#result_list tbody input.action-select").first.check()
        page.select_option("select[name=action]", action)
        with page.expect_navigation():
            page.locator("button[name=index]").click()

    return show


def _refused_form(add_page: str):
    """An add page sent empty: the form again, with its errors."""

    def show(page, data) -> None:
        page.goto(reverse(add_page))
        with page.expect_navigation():
            page.locator(".submit-row [name=_save]").click()
        assert page.locator(".errornote").count(), page.url

    return show


def _agenda_after_flag(page, data) -> None:
    page.goto(f"{reverse('admin:booking_booking_agenda')}?day={data['day']}")
    with page.expect_navigation():
        page.get_by_role("button", name="Signaler numéro douteux").first.click()
    assert page.locator(".messagelist").count(), page.url


def _desk_after_handover(page, data) -> None:
    query = data["card"].numero_etranger
    page.goto(f"{reverse('admin:booking_card_desk')}?q={query}")
    with page.expect_navigation():
        page.get_by_role("button", name="Remettre le titre").click()
    assert page.locator(".messagelist").count(), page.url


# Pages shown after something is sent (an action, a form, a button): one each, for
# the agents allowed to send it.
AFTER_SENDING = [
    (
        "booking.change_waitingrequest",
        "the waiting list's « Donner une priorité »",
        _action("admin:booking_waitingrequest_changelist", "give_priority"),
    ),
    (
        "booking.delete_titlerecord",
        "the register's deletion",
        _action("admin:booking_titlerecord_changelist", "delete_selected"),
    ),
    (
        "faq.delete_question",
        "the questions' deletion",
        _action("admin:faq_question_changelist", "delete_selected"),
    ),
    ("booking.add_card", "a card sent empty", _refused_form("admin:booking_card_add")),
    (
        "faq.add_question",
        "a question sent empty",
        _refused_form("admin:faq_question_add"),
    ),
    (
        "booking.add_closureday",
        "a closure sent empty",
        _refused_form("admin:booking_closureday_add"),
    ),
    ("booking.change_booking", "a flag on the agenda", _agenda_after_flag),
    ("booking.hand_over_card", "a handover at the desk", _desk_after_handover),
]


@pytest.mark.parametrize("role", list(ROLES))
def test_no_serious_axe_violation_on_the_admin_pages_of_the_role(
    page, live_server, admin_data, role
):
    # A walk of some 80 pages: one slow page on a loaded machine is no failure.
    page.set_default_navigation_timeout(30_000)
    agent = _agent(role)
    hand_session_to_browser(page, live_server, login_agent(Client(), agent))
    day = admin_data["day"].isoformat()
    card = admin_data["card"]
    # Pages reached by a search or after a save, not by a link of their own.
    extra = [
        url
        for url, permission in [
            (
                f"{reverse('admin:booking_booking_agenda')}?day={day}",
                "booking.view_booking",
            ),
            (
                f"{reverse('admin:booking_card_desk')}?q={card.numero_etranger}",
                "booking.hand_over_card",
            ),
            (
                reverse(
                    "admin:booking_closureday_bookings",
                    args=[admin_data["closure"].pk],
                ),
                "booking.view_closureday",
            ),
        ]
        if agent.has_perm(permission)
    ]
    to_visit = ["/admin/"]
    visited: list[str] = []
    failures: dict[str, list[str]] = {}
    while to_visit:
        url = to_visit.pop(0)
        if url in visited or any(skip in url for skip in SKIPPED):
            continue
        visited.append(url)
        if not _visit(page, url, failures):
            continue
        found = _first_of_each(_next_pages(page))
        to_visit += [link for link in found if link not in visited]
        if not to_visit and extra:
            to_visit, extra = extra, []
    for permission, what, show in AFTER_SENDING:
        if agent.has_perm(permission):
            show(page, admin_data)
            serious = serious_axe_violations(page)
            if serious:
                failures[f"{page.url} (after {what})"] = serious

    paths = {urlsplit(url).path for url in visited}
    missed = [name for name in EXPECTED[role] if reverse(name) not in paths]
    assert not missed, f"{role}: the walk did not reach {missed}"
    assert not failures, f"axe, as {role}, on {len(failures)} page(s):\n" + "\n".join(
        f"{url}\n" + "\n".join(lines) for url, lines in failures.items()
    )
