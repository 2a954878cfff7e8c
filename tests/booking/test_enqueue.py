"""Enqueueing never breaks a committed write: with the broker unreachable at commit,
the booking stands, its messages wait in the outbox for the sweeper, and the one
warning logged says so without any personal data."""

import logging
import re
import time

import pytest
from django.utils import timezone

from booking import services
from booking.models import Booking, OutgoingMessage
from booking.services import outbox
from tests.e2e.celery_broker import broker
from tests.factories import CardFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def any_hour_sends(settings):
    # These tests run on the wall clock: at night (the SMS quiet hours) the SMS would
    # wait for the morning and nothing would be published at all.
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL


APPLICANT = services.Applicant(
    numero_etranger="4500000001",
    last_name="Diallo",
    first_name="Awa",
    mobile="+33612345678",
    email="awa.diallo@example.org",
)
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens there: connection refused
PERSONAL = ["4500000001", "Diallo", "Awa", "612345678", "awa.diallo", "example.org"]


def book(slot) -> Booking:
    return services.booking_create(
        slot_id=slot.pk,
        procedure=slot.procedure,
        applicant=APPLICANT,
        hold_token="t",
        now=timezone.now(),
    )


def publish_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == outbox.__name__ and r.levelno == logging.WARNING
    ]


def test_booking_committed_with_the_broker_down_raises_nothing_and_waits(
    caplog, django_capture_on_commit_callbacks
):
    slot = SlotFactory()
    with broker(UNREACHABLE), django_capture_on_commit_callbacks(execute=True):
        started = time.monotonic()
        booking = book(slot)
    assert time.monotonic() - started < 2  # refused at once, one quick retry
    assert set(booking.messages.values_list("channel", "status")) == {
        ("sms", "pending"),
        ("email", "pending"),
    }
    ids = set(booking.messages.values_list("pk", flat=True))
    assert ids <= set(services.messages_sweep(now=timezone.now()))
    [warning] = publish_warnings(caplog)  # the SMS and the e-mail: one publish
    assert "booking.tasks.send_sms_batch, 1 of 1 task(s) left to the sweeper" in warning


def test_the_publish_failure_log_line_holds_no_personal_data(
    caplog, django_capture_on_commit_callbacks
):
    slot = SlotFactory()
    with broker(UNREACHABLE), django_capture_on_commit_callbacks(execute=True):
        booking = book(slot)
    [warning] = publish_warnings(caplog)
    for value in [*PERSONAL, booking.reference]:
        assert value not in warning


def test_each_publish_failure_is_counted_in_its_warning(
    caplog, django_capture_on_commit_callbacks
):
    cards = CardFactory.create_batch(2)
    with broker(UNREACHABLE):
        for card in cards:
            with django_capture_on_commit_callbacks(execute=True):
                services.card_mark_ready(
                    card_ids=[card.pk], by="agent", now=timezone.now()
                )
    counts = [
        int(re.search(r"\((\d+) in this process\)", w).group(1))
        for w in publish_warnings(caplog)
    ]
    assert len(counts) == 2 and counts[1] == counts[0] + 1
    assert OutgoingMessage.objects.filter(status="pending").count() == 2


def test_the_sweeper_with_the_broker_down_gives_up_after_one_failed_batch(
    caplog, settings
):
    settings.SMS_BATCH_SIZE = 1
    with broker(UNREACHABLE):
        outbox.messages_enqueue([1, 2, 3])  # three tasks: the first fails, no more
    [warning] = publish_warnings(caplog)
    assert "3 of 3 task(s) left to the sweeper" in warning


def test_a_publish_that_fails_for_another_reason_is_an_error_not_a_500(caplog):
    class Broken:
        name = "broken"

        def delay(self, *args):
            raise TypeError("not serialisable")

    assert outbox.publish(Broken(), (1,)) is False  # type: ignore[arg-type]
    [record] = [r for r in caplog.records if r.name == outbox.__name__]
    assert record.levelno == logging.ERROR and record.exc_info is not None
