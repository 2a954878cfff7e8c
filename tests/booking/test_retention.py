"""GDPR retention with a fixed clock."""

from datetime import datetime, timedelta

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.core.management import call_command

from booking.models import (
    Booking,
    BookingEvent,
    Card,
    OutgoingMessage,
    WaitingEvent,
    WaitingRequest,
)
from booking.services.retention import personal_data_purge
from tests.clock import PARIS
from tests.factories import (
    BookingFactory,
    CardFactory,
    SiteFactory,
    SlotFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2028, 6, 1, 3, 47, tzinfo=PARIS)


def slot_on(moment):
    return SlotFactory(starts_at=moment, ends_at=moment + timedelta(minutes=30))


def test_appointments_are_anonymised_24_months_after_their_date():
    old = BookingFactory(
        slot=slot_on(NOW - timedelta(days=30 * 24 + 1)), email="a@b.fr"
    )
    recent = BookingFactory(slot=slot_on(NOW - timedelta(days=30 * 23)))
    report = personal_data_purge(now=NOW)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (
        old.numero_etranger,
        old.last_name,
        old.first_name,
        old.mobile,
        old.email,
    ) == ("", "", "", "", "")
    assert old.reference and old.procedure_id  # statistics keep what is not personal
    assert recent.last_name == "Diallo"
    assert report.bookings_anonymised == 1
    assert not Booking.history.filter(id=old.pk).exists()
    assert Booking.history.filter(id=recent.pk).exists()


def test_card_mobiles_go_30_days_after_handover():
    handed = CardFactory(
        status=Card.Status.HANDED_OVER, handed_over_at=NOW - timedelta(days=31)
    )
    waiting = CardFactory(status=Card.Status.READY, ready_at=NOW - timedelta(days=90))
    personal_data_purge(now=NOW)
    handed.refresh_from_db()
    waiting.refresh_from_db()
    assert handed.mobile == "" and waiting.mobile == "+33612345678"


def test_sms_bodies_go_after_6_months_and_events_after_a_year():
    card = CardFactory()
    message = OutgoingMessage.objects.create(
        idempotency_key="k", kind="card_ready", card=card, to="+33612345678",
        body="Votre titre", send_after=NOW,
    )  # fmt: skip
    OutgoingMessage.objects.filter(pk=message.pk).update(
        created_at=NOW - timedelta(days=200)
    )
    booking = BookingFactory()
    event = BookingEvent.objects.create(booking=booking, kind="created", actor="usager")
    BookingEvent.objects.filter(pk=event.pk).update(at=NOW - timedelta(days=400))
    report = personal_data_purge(now=NOW)
    message.refresh_from_db()
    assert (message.to, message.body) == ("", "")
    assert message.status == "pending"  # the row (and the statistics) stay
    assert report.events_deleted == 1


def test_running_twice_changes_nothing_more_and_prints_counts_only(capsys):
    BookingFactory(slot=slot_on(NOW - timedelta(days=800)), last_name="Secret")
    personal_data_purge(now=NOW)
    assert personal_data_purge(now=NOW).bookings_anonymised == 0
    call_command("purge_personal_data")
    out = capsys.readouterr().out
    assert "bookings_anonymised:" in out and "Secret" not in out


def test_several_old_confirmed_bookings_can_all_be_anonymised():
    for days in (800, 900):
        BookingFactory(slot=slot_on(NOW - timedelta(days=days)))
    assert personal_data_purge(now=NOW).bookings_anonymised == 2
    assert set(Booking.objects.values_list("status", flat=True)) == {"no_show"}


def test_agents_login_logs_go_after_a_year():
    def log(model, days_ago):
        entry = model.objects.create(
            username="agent", ip_address="10.0.0.1", user_agent="x", path_info="/"
        )
        model.objects.filter(pk=entry.pk).update(
            attempt_time=NOW - timedelta(days=days_ago)
        )

    log(AccessLog, 400)
    log(AccessLog, 10)
    log(AccessFailureLog, 400)
    assert personal_data_purge(now=NOW).login_logs_deleted == 2
    assert AccessLog.objects.count() == 1 and not AccessFailureLog.objects.exists()


def waiting_request(status: str, left_days_ago: int, **fields) -> WaitingRequest:
    left = NOW - timedelta(days=left_days_ago)
    return WaitingRequestFactory(
        status=status,
        status_changed_at=left,
        joined_at=left - timedelta(days=40),
        sites=[SiteFactory()],
        **fields,
    )


def trail(request: WaitingRequest, kind: str, detail: dict, days_ago: int) -> None:
    event = WaitingEvent.objects.create(
        request=request, kind=kind, actor="agent.x", detail=detail
    )
    WaitingEvent.objects.filter(pk=event.pk).update(at=NOW - timedelta(days=days_ago))


@pytest.mark.parametrize("status", ["booked", "withdrawn", "expired", "removed"])
def test_waiting_requests_are_anonymised_24_months_after_they_left(settings, status):
    settings.AUDIT_RETENTION_MONTHS = 36  # the trail outlives the request here
    old = waiting_request(
        status,
        30 * 24 + 1,
        email="awa@example.org",
        priority=2,
        priority_reason="hospitalisée",
    )
    trail(old, "priority", {"from": 0, "to": 2, "reason": "hospitalisée"}, 800)
    message = OutgoingMessage.objects.create(
        idempotency_key="w", kind="waiting_removed", waiting_request=old,
        to=old.mobile, body="Vous avez été retiré de la liste", send_after=NOW,
    )  # fmt: skip
    recent = waiting_request(status, 30 * 23)

    report = personal_data_purge(now=NOW)

    old.refresh_from_db()
    assert (
        old.numero_etranger,
        old.last_name,
        old.first_name,
        old.mobile,
        old.email,
        old.priority_reason,
    ) == ("", "", "", "", "", "")
    assert old.anonymised_at == NOW
    # What the statistics read stays: the démarche, the dates, the status.
    assert old.status == status and old.procedure_id and old.joined_at
    assert list(old.events.values_list("kind", "detail")) == [
        ("priority", {}),
        ("anonymised", {}),
    ]
    message.refresh_from_db()
    assert (message.to, message.body) == ("", "")
    assert report.waiting_requests_anonymised == 1
    recent.refresh_from_db()
    assert recent.last_name == "Diallo" and recent.anonymised_at is None
    assert personal_data_purge(now=NOW).waiting_requests_anonymised == 0


@pytest.mark.parametrize("status", ["waiting", "offered"])
def test_requests_still_on_the_list_are_never_anonymised(status):
    live = waiting_request(status, 1000)
    trail(live, "priority", {"from": 0, "to": 1, "reason": "titre perdu"}, 900)
    assert personal_data_purge(now=NOW).waiting_requests_anonymised == 0
    live.refresh_from_db()
    assert live.numero_etranger and live.last_name == "Diallo"
    # Its trail is kept past the audit retention too: agents act on it.
    assert live.events.get().detail["reason"] == "titre perdu"


def test_the_trail_of_a_request_that_left_goes_after_a_year():
    gone = waiting_request("withdrawn", 30 * 13)
    trail(gone, "withdrawn", {}, 30 * 13)
    trail(gone, "joined", {"sites": [1]}, 30 * 14)
    recent = waiting_request("withdrawn", 10)
    trail(recent, "withdrawn", {}, 10)
    assert personal_data_purge(now=NOW).events_deleted == 2
    assert not gone.events.exists() and recent.events.count() == 1
