"""The supervisors' statistics page and the figures behind it."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking.models import Booking, Card, OutgoingMessage, WaitingOffer
from booking.statistics import duration_words, statistics_for, statistics_period
from tests.agents import login_role
from tests.factories import (
    BookingFactory,
    CardFactory,
    ProcedureFactory,
    SlotFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
URL = "/admin/booking/booking/statistiques/"


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


@pytest.fixture
def role_client(client):
    return lambda role: login_role(client, role)


def message(key: str, status: str, card: Card) -> OutgoingMessage:
    return OutgoingMessage.objects.create(
        idempotency_key=key,
        kind=OutgoingMessage.Kind.CARD_READY,
        card=card,
        to="+33612345678",
        body="Votre titre est disponible.",
        status=status,
        send_after=timezone.now(),
    )


def test_figures_per_day_and_demarche():
    now = timezone.now()
    today = timezone.localdate(now)
    past = today - timedelta(days=3)
    renewal = ProcedureFactory(name_fr="Renouvellement")
    other = ProcedureFactory(name_fr="Changement de statut")
    past_slot = SlotFactory(procedure=renewal, starts_at=at(past), capacity=5)
    for status in ["honoured", "honoured", "honoured", "no_show", "cancelled"]:
        BookingFactory(slot=past_slot, status=status)
    BookingFactory(slot=SlotFactory(procedure=other, starts_at=at(past, 10)))
    free = SlotFactory(procedure=renewal, starts_at=now + timedelta(days=2), capacity=2)
    card = CardFactory(status=Card.Status.READY, ready_at=now - timedelta(days=20))
    CardFactory(status=Card.Status.READY, ready_at=now - timedelta(days=1))
    CardFactory(status=Card.Status.HANDED_OVER)
    statuses = ["sent", "sent", "delivered", "failed", "pending", "refused"]
    for n, status in enumerate(statuses):
        message(f"k{n}", status, card)

    stats = statistics_for(
        first_day=today - timedelta(days=7), last_day=today + timedelta(days=7), now=now
    )

    by_name = {f.procedure.name_fr: f for f in stats.demarches}
    assert by_name["Renouvellement"].per_day == {past: 4}  # the cancelled one left out
    assert by_name["Renouvellement"].no_show_rate == 0.25
    assert by_name["Renouvellement"].next_free == free.starts_at
    assert by_name["Changement de statut"].per_day == {past: 1}
    assert by_name["Changement de statut"].next_free is None
    assert stats.no_show_rate == 0.25
    assert stats.totals_per_day[stats.days.index(past)] == 5
    # The "Ensemble" row: found empty walking the agents' day.
    assert (stats.total, stats.honoured, stats.no_show) == (5, 3, 1)
    assert stats.sms == {
        "sent": 2,
        "delivered": 1,
        "undelivered": 0,
        "failed": 1,
        "waiting": 1,
        "refused": 1,  # never sent: left out of the table before
    }
    assert (stats.cards_waiting, stats.cards_waiting_over_14_days) == (2, 1)
    tallest = max(stats.day_bars, key=lambda bar: bar.value)
    assert tallest.value == 5 and tallest.y == 0


def test_encadrement_sees_the_page_with_charts_and_tables(role_client):
    slot = SlotFactory(starts_at=at(timezone.localdate() - timedelta(days=1)))
    BookingFactory(slot=slot, status=Booking.Status.NO_SHOW)
    page = role_client("encadrement").get(URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('role="img"') == 2
    assert "<caption>" in html and 'scope="row"' in html
    assert "100 %" in html  # one appointment, absent
    total = html.split("Ensemble", 1)[1].split("</tr>", 1)[0]
    assert "<td>1</td><td>0</td><td>1</td>" in total


@pytest.mark.parametrize("role", ["accueil", "instruction"])
def test_other_roles_do_not_see_statistics(role_client, role):
    assert role_client(role).get(URL).status_code == 403


def test_the_page_costs_a_fixed_number_of_queries(admin_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(URL).status_code == 200
        return len(captured)

    procedure = ProcedureFactory()
    SlotFactory(procedure=procedure)
    few = queries()
    today = timezone.localdate()
    for n in range(20):
        slot = SlotFactory(
            procedure=procedure,
            starts_at=at(today - timedelta(days=n % 10), 9 + n % 3),
        )
        BookingFactory(slot=slot, status="honoured")
    assert queries() == few


@pytest.mark.parametrize(
    "params",
    [
        {"du": "2026-02-30"},
        {"du": "\x00", "au": "abc"},
        {"du": "9999-12-31", "au": "0001-01-01"},
        {"du": "2027-01-01", "au": "2026-01-01"},
    ],
)
def test_any_period_typed_gives_a_page(admin_client, params):
    refused = "\x00" in params["du"]  # at the edge (prefecture/middleware.py)
    assert admin_client.get(URL, params).status_code == (400 if refused else 200)


def test_period_is_ordered_bounded_and_at_most_three_months():
    today = date(2026, 11, 27)
    assert statistics_period({}, today=today) == (
        date(2026, 10, 31),
        date(2026, 12, 11),
    )
    first, last = statistics_period(
        {"du": "2027-01-01", "au": "2026-01-01"}, today=today
    )
    assert first == date(2026, 1, 1) and (last - first).days == 92
    first, last = statistics_period({"du": "0001-01-01"}, today=today)
    assert first.year == 2021


def test_a_period_shortened_for_the_page_is_said_not_silent(admin_client):
    year = admin_client.get(URL, {"du": "2026-01-01", "au": "2026-12-31"})
    page = year.content.decode().replace("&#x27;", "’")
    assert "La période demandée a été ajustée" in page
    assert "du 01/01/2026 au 03/04/2026" in page
    for du, au in [("2026-01-01", "2026-03-31"), ("20260101", "20260331")]:
        quarter = admin_client.get(URL, {"du": du, "au": au})
        assert "a été ajustée" not in quarter.content.decode(), (du, au)


def offer(request, status: str, offered_at: datetime, answered_at=None):
    slot = SlotFactory(
        procedure=request.procedure, starts_at=offered_at + timedelta(days=2)
    )
    return WaitingOffer.objects.create(
        request=request,
        slot=slot,
        status=status,
        offered_at=offered_at,
        expires_at=offered_at + timedelta(hours=24),
        answered_at=answered_at,
    )


def test_waiting_list_figures():
    now = timezone.now()
    today = timezone.localdate(now)
    renewal = ProcedureFactory(name_fr="Renouvellement")
    other = ProcedureFactory(name_fr="Changement de statut")
    during = at(today - timedelta(days=2), 10)
    for status in ["waiting", "waiting", "offered", "booked", "withdrawn", "removed"]:
        WaitingRequestFactory(procedure=renewal, status=status)
    WaitingRequestFactory(procedure=other)
    # Booked through the list after 3 and 5 days (renewal), 1 day 2 hours (other).
    for procedure, waited in [
        (renewal, timedelta(days=3)),
        (renewal, timedelta(days=5)),
        (other, timedelta(days=1, hours=2)),
    ]:
        booked = WaitingRequestFactory(
            procedure=procedure, status="booked", joined_at=during - waited
        )
        offer(booked, "accepted", during - timedelta(hours=1), answered_at=during)
    # An earlier place for an appointment already held: its offer counts, its wait
    # does not (a move, not a booking).
    earlier = WaitingRequestFactory(
        procedure=renewal,
        status="booked",
        wants_earlier=True,
        booking=BookingFactory(),
        joined_at=during - timedelta(days=20),
    )
    offer(earlier, "accepted", during, answered_at=during)
    answers = WaitingRequestFactory(procedure=renewal, status="expired")
    offer(answers, "declined", during, answered_at=during)
    offer(answers, "expired", during)
    offer(answers, "expired", during + timedelta(hours=1))
    offer(answers, "cancelled", during, answered_at=during)  # left the list
    offer(WaitingRequestFactory(procedure=renewal, status="offered"), "open", during)
    # Before the period: not counted.
    offer(answers, "expired", at(today - timedelta(days=60)))

    stats = statistics_for(
        first_day=today - timedelta(days=7), last_day=today + timedelta(days=7), now=now
    )

    by_name = {f.procedure.name_fr: f for f in stats.waiting}
    figures = by_name["Renouvellement"]
    # waiting, waiting, offered, and the one with the open offer
    assert figures.waiting_now == 4
    assert figures.median_wait == timedelta(days=4)
    assert figures.median_wait_words == "4 j 0 h"
    assert (figures.offers_accepted, figures.offers_answered) == (3, 6)
    assert figures.accepted_rate == 0.5
    assert figures.offers_expired == 2  # places lost
    assert by_name["Changement de statut"].waiting_now == 1
    assert by_name["Changement de statut"].median_wait == timedelta(days=1, hours=2)
    total = stats.waiting_total
    assert total.waiting_now == 5
    assert total.median_wait == timedelta(days=3)  # of 1 d 2 h, 3 d, 5 d
    assert (total.offers_accepted, total.offers_answered) == (4, 7)


def test_waiting_list_figures_on_the_page(role_client):
    request = WaitingRequestFactory(
        status="booked", joined_at=timezone.now() - timedelta(hours=3, minutes=5)
    )
    offer(request, "accepted", timezone.now(), answered_at=timezone.now())
    offer(WaitingRequestFactory(procedure=request.procedure), "expired", timezone.now())
    html = role_client("encadrement").get(URL).content.decode()
    section = html[html.index("Liste d’attente") :]
    assert "3 h 5 min" in section
    assert "50 % (1 / 2)" in section


def test_duration_words():
    assert duration_words(None) == "—"
    assert duration_words(timedelta(minutes=12, seconds=59)) == "12 min"
    assert duration_words(timedelta(hours=4, minutes=5)) == "4 h 5 min"
    assert duration_words(timedelta(days=3, hours=4, minutes=59)) == "3 j 4 h"
