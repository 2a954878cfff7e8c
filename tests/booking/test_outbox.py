"""Cards marked ready and the SMS outbox, with the in-memory SMS backend."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from booking import services
from booking.models import Card, CardEvent, OutgoingMessage
from booking.services.outbox import send_sms_batch
from booking.sms import SmsTransientError, locmem
from booking.sms.base import Sent
from booking.sms.checks import sms_sender_is_valid
from tests.clock import PARIS
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)


def test_mark_ready_writes_one_message_and_an_event(django_capture_on_commit_callbacks):
    card = CardFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = services.card_mark_ready(card_ids=[card.pk], by="agent", now=MORNING)
    assert report.ready == [card.pk]
    card.refresh_from_db()
    assert card.status == Card.Status.READY and card.ready_at == MORNING
    message = OutgoingMessage.objects.get()
    assert message.idempotency_key == f"card:{card.pk}:ready"
    assert message.to == "+33612345678" and message.status == "pending"
    assert CardEvent.objects.get().actor == "agent"
    assert len(callbacks) == 1  # enqueued after commit


def test_marking_again_sends_nothing_new():
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="a", now=MORNING)
    report = services.card_mark_ready(card_ids=[card.pk], by="b", now=MORNING)
    assert report.already == [card.pk] and report.ready == []
    assert OutgoingMessage.objects.count() == 1


def test_a_card_marked_at_night_waits_for_the_morning():
    card = CardFactory()
    night = datetime(2026, 11, 26, 22, 30, tzinfo=PARIS)
    services.card_mark_ready(card_ids=[card.pk], by="a", now=night)
    message = OutgoingMessage.objects.get()
    assert message.send_after == datetime(2026, 11, 27, 8, 0, tzinfo=PARIS)
    assert services.message_send(message_id=message.pk, now=night) is None
    assert locmem.outbox == []


def test_send_records_the_provider_id_and_sends_once():
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="a", now=MORNING)
    message = OutgoingMessage.objects.get()
    services.message_send(message_id=message.pk, now=MORNING)
    services.message_send(message_id=message.pk, now=MORNING)  # a duplicate task
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 1
    assert message.provider_id == "locmem-1"
    assert [sms.to for sms in locmem.outbox] == ["+33612345678"]


class Flaky:
    calls = 0

    def send(self, sms):
        Flaky.calls += 1
        raise SmsTransientError("HTTP 503")


def test_transient_failure_waits_with_backoff_then_gives_up_after_the_window(
    monkeypatch, settings
):
    Flaky.calls = 0
    monkeypatch.setattr("booking.services.outbox.get_backend", Flaky)
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="a", now=MORNING)
    message = OutgoingMessage.objects.get()
    outcome = services.message_send(message_id=message.pk, now=MORNING)
    message.refresh_from_db()
    assert message.status == "pending" and message.last_error == "HTTP 503"
    assert MORNING < message.send_after <= MORNING + timedelta(seconds=30)
    assert outcome.retry_at == message.send_after
    late = message.created_at + timedelta(
        hours=settings.SMS_RETRY_WINDOW_HOURS, minutes=1
    )
    OutgoingMessage.objects.filter(pk=message.pk).update(send_after=late)
    services.message_send(message_id=message.pk, now=late)
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 2
    assert message.last_error == "abandoned after 2 attempts: HTTP 503"
    assert Flaky.calls == 2


def test_sweeper_resends_messages_lost_at_commit_or_stuck_in_sending():
    lost, stuck = CardFactory(), CardFactory()
    services.card_mark_ready(card_ids=[lost.pk, stuck.pk], by="a", now=MORNING)
    stuck_message = OutgoingMessage.objects.get(card=stuck)
    OutgoingMessage.objects.filter(pk=stuck_message.pk).update(
        status="sending", claimed_at=MORNING, handed_at=MORNING
    )
    later = MORNING + timedelta(minutes=10)
    due = services.messages_sweep(now=later)
    assert sorted(due) == sorted(OutgoingMessage.objects.values_list("pk", flat=True))
    stuck_message.refresh_from_db()
    assert stuck_message.status == "pending" and stuck_message.possible_duplicates == 1


class Killed(BaseException):
    """The worker process dying (SIGKILL): nothing after it runs, not even finally."""


class DiesOnSecond:
    calls = 0

    def send(self, sms):
        DiesOnSecond.calls += 1
        if DiesOnSecond.calls == 2:
            raise Killed
        return Sent(provider_id=f"p-{DiesOnSecond.calls}")


def test_a_worker_dying_mid_batch_counts_only_the_message_at_the_provider(
    monkeypatch,
):
    """58 flagged for 2 real duplicates: the whole claimed batch was counted."""
    DiesOnSecond.calls = 0
    monkeypatch.setattr("booking.services.outbox.get_backend", DiesOnSecond)
    # SIGKILL runs no cleanup: the release of the untried messages never happens.
    monkeypatch.setattr("booking.services.outbox._release", lambda *a, **k: None)
    cards = CardFactory.create_batch(5)
    services.card_mark_ready(card_ids=[c.pk for c in cards], by="a", now=MORNING)
    ids = list(OutgoingMessage.objects.order_by("pk").values_list("pk", flat=True))
    with pytest.raises(Killed):
        services.messages_send(message_ids=ids, now=MORNING)
    assert (
        list(OutgoingMessage.objects.order_by("pk").values_list("status", flat=True))
        == ["sent"] + ["sending"] * 4
    )
    due = services.messages_sweep(now=MORNING + timedelta(minutes=10))
    assert sorted(due) == ids[1:]
    rows = OutgoingMessage.objects.order_by("pk").values_list(
        "possible_duplicates", "attempts"
    )
    # The one in flight at the provider is counted (and was attempted); the three
    # never tried are back to pending, uncounted, their attempt given back.
    assert list(rows) == [(0, 1), (1, 1), (0, 0), (0, 0), (0, 0)]


def test_a_message_being_sent_is_not_swept_before_the_timeout():
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="a", now=MORNING)
    OutgoingMessage.objects.update(status="sending", claimed_at=MORNING)
    assert services.messages_sweep(now=MORNING + timedelta(minutes=1)) == []


def test_a_thousand_cards_in_one_call_give_a_thousand_messages(
    django_assert_max_num_queries,
):
    cards = CardFactory.create_batch(1000)
    with django_assert_max_num_queries(12):
        report = services.card_mark_ready(
            card_ids=[c.pk for c in cards], by="a", now=timezone.now()
        )
    assert len(report.ready) == 1000
    assert OutgoingMessage.objects.count() == 1000
    assert OutgoingMessage.objects.values("card").distinct().count() == 1000


@pytest.mark.parametrize(
    ("sender", "ok"), [("PREF45", True), ("Prefecture45", False), ("PRÉF", False)]
)
def test_sms_sender_is_checked(settings, sender, ok):
    settings.SMS_SENDER = sender
    assert (sms_sender_is_valid(None) == []) is ok


def test_seed_demo_cards_can_be_marked_ready_with_the_console_backend(settings, capsys):
    settings.SMS_BACKEND = "console"
    call_command("seed_demo")
    cards = Card.objects.all()
    assert cards.count() == 3
    services.card_mark_ready(card_ids=[c.pk for c in cards], by="agent", now=MORNING)
    for message in OutgoingMessage.objects.all():
        services.message_send(message_id=message.pk, now=MORNING)
    out = capsys.readouterr().out
    assert "[SMS card_ready to +33*******78]" in out and "+33612345678" not in out


def ready_messages(count: int) -> list[int]:
    cards = CardFactory.create_batch(count)
    services.card_mark_ready(card_ids=[c.pk for c in cards], by="a", now=MORNING)
    return list(OutgoingMessage.objects.order_by("pk").values_list("pk", flat=True))


def test_a_batch_sends_each_message_once_even_when_its_task_runs_twice():
    ids = ready_messages(5)
    outcomes = services.messages_send(message_ids=ids, now=MORNING)
    assert [o.status for o in outcomes] == ["sent"] * 5
    assert services.messages_send(message_ids=ids, now=MORNING) == []  # redelivered
    assert len(locmem.outbox) == 5
    assert set(OutgoingMessage.objects.values_list("status", "attempts")) == {
        ("sent", 1)
    }


class DownAfterTwo:
    calls = 0

    def send(self, sms):
        DownAfterTwo.calls += 1
        if DownAfterTwo.calls > 2:
            raise SmsTransientError("HTTP 503")
        return locmem.LocmemBackend().send(sms)


def test_a_provider_failing_mid_batch_is_not_called_for_the_rest(monkeypatch):
    DownAfterTwo.calls = 0
    monkeypatch.setattr("booking.services.outbox.get_backend", DownAfterTwo)
    ids = ready_messages(6)
    outcomes = services.messages_send(message_ids=ids, now=MORNING)
    assert [o.status for o in outcomes] == ["sent", "sent", "pending"]
    assert DownAfterTwo.calls == 3
    failed = OutgoingMessage.objects.get(pk=ids[2])
    rest = OutgoingMessage.objects.filter(pk__in=ids[3:])
    # The untried ones wait with the failed one, as if never claimed.
    assert {(m.status, m.attempts, m.send_after) for m in rest} == {
        ("pending", 0, failed.send_after)
    }
    assert failed.send_after > MORNING and failed.attempts == 1


class Crashing:
    def send(self, sms):
        raise RuntimeError("the task was stopped")


def test_a_batch_stopped_by_an_error_gives_back_what_it_did_not_try(monkeypatch):
    monkeypatch.setattr("booking.services.outbox.get_backend", Crashing)
    ids = ready_messages(3)
    with pytest.raises(RuntimeError):
        services.messages_send(message_ids=ids, now=MORNING)
    statuses = dict(OutgoingMessage.objects.values_list("pk", "status"))
    # The one being sent stays "sending" (the provider may have taken it: the
    # sweeper counts it as a possible duplicate); the others are pending again.
    assert [statuses[pk] for pk in ids] == ["sending", "pending", "pending"]


def test_marking_many_cards_ready_queues_one_task_per_batch(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SMS_BATCH_SIZE = 50
    queued: list[list[int]] = []
    monkeypatch.setattr(send_sms_batch, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        ids = ready_messages(120)
    assert [len(batch) for batch in queued] == [50, 50, 20]
    assert sorted(pk for batch in queued for pk in batch) == ids
