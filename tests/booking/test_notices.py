"""The SMS an appointment sends, and the reminders."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from booking import services
from booking.models import OutgoingMessage
from booking.sms import gsm7
from tests.clock import PARIS
from tests.factories import BookingFactory, CardFactory, SiteFactory, SlotFactory

pytestmark = pytest.mark.django_db


def book(slot, numero="4500000001"):
    return services.booking_create(
        slot_id=slot.pk,
        procedure=slot.procedure,
        applicant=services.Applicant(
            numero_etranger=numero, last_name="D", first_name="A", mobile="+33612345678"
        ),
        hold_token="t",
        now=timezone.now(),
    )


def test_booking_writes_its_confirmation_sms_with_a_short_manage_link(client):
    slot = SlotFactory(site=SiteFactory(sms_name="Orléans"))
    booking = book(slot)
    message = OutgoingMessage.objects.get(booking=booking)
    assert message.kind == "booking_confirmed"
    assert (
        booking.reference in message.body
        and f"/rdv/{booking.manage_token}/" in message.body
    )
    assert gsm7.is_gsm7(message.body) and gsm7.segments(message.body) == 1
    link = message.body.rsplit(" ", 1)[-1].removeprefix("http://127.0.0.1:8000")
    response = client.get(link, follow=True)
    assert "code à 6 chiffres" in response.content.decode()


def test_cancel_and_move_each_send_one_sms():
    slot = SlotFactory(capacity=2)
    other = SlotFactory(
        procedure=slot.procedure, starts_at=slot.starts_at + timedelta(days=1)
    )
    booking = book(slot)
    services.booking_move(
        booking_id=booking.pk, slot_id=other.pk, hold_token="m", now=timezone.now()
    )
    services.booking_cancel(booking_id=booking.pk, now=timezone.now())
    kinds = sorted(OutgoingMessage.objects.values_list("kind", flat=True))
    assert kinds == ["booking_cancelled", "booking_confirmed", "booking_moved"]


def test_reminder_48_hours_before_once_and_not_for_late_bookings():
    soon = SlotFactory(starts_at=timezone.now() + timedelta(hours=30))
    early = BookingFactory(slot=soon)
    type(early).objects.filter(pk=early.pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    BookingFactory(
        slot=SlotFactory(starts_at=timezone.now() + timedelta(hours=20))
    )  # booked now
    BookingFactory(
        slot=SlotFactory(starts_at=timezone.now() + timedelta(days=5))
    )  # too far
    assert services.bookings_remind(now=timezone.now()) == 1
    assert services.bookings_remind(now=timezone.now()) == 0
    assert (
        OutgoingMessage.objects.get().idempotency_key == f"booking:{early.pk}:reminder"
    )


def test_unknown_short_link_is_404(client):
    assert client.get("/rdv/ZZZZZZZZ/").status_code == 404


def test_card_reminders_every_14_days_at_most_twice():
    ready_at = datetime(2026, 11, 2, 10, 0, tzinfo=PARIS)
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="a", now=ready_at)
    assert services.cards_remind(now=ready_at + timedelta(days=13)) == 0
    assert services.cards_remind(now=ready_at + timedelta(days=14)) == 1
    assert services.cards_remind(now=ready_at + timedelta(days=15)) == 0
    assert services.cards_remind(now=ready_at + timedelta(days=28)) == 1
    assert services.cards_remind(now=ready_at + timedelta(days=60)) == 0
    assert OutgoingMessage.objects.filter(kind="card_reminder").count() == 2


def test_appointment_texts_are_gsm7_in_both_languages():
    slot = SlotFactory(site=SiteFactory(sms_name="Sous-préfecture Pithiviers"))
    for language in ("fr", "en"):
        booking = BookingFactory(slot=slot, language=language)
        services.booking_notice(
            booking=booking,
            kind="booking_reminder",
            key=f"k-{language}",
            now=timezone.now(),
        )
    for body in OutgoingMessage.objects.values_list("body", flat=True):
        assert gsm7.is_gsm7(body)
