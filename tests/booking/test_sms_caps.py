"""No SMS pumping: appointment SMS are capped per booking and per mobile number a day,
and go only to French numbers; a refused one is recorded, never sent, and shown to
the agents."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from booking import services
from booking.models import Booking, OutgoingMessage
from booking.phone import FRENCH_REGIONS
from booking.sms import locmem
from tests.booking.flow import CONTACT, hold, slots_after
from tests.factories import BookingFactory, CardFactory, SlotFactory

Status = OutgoingMessage.Status
FRENCH_MOBILE = "+33612345678"


def book(slot, numero="4500000001", mobile=FRENCH_MOBILE) -> Booking:
    return services.booking_create(
        slot_id=slot.pk,
        procedure=slot.procedure,
        applicant=services.Applicant(
            numero_etranger=numero, last_name="Diallo", first_name="Awa", mobile=mobile
        ),
        hold_token=f"t{numero}",
        now=timezone.now(),
    )


def send_everything() -> None:
    """The worker, past the quiet hours, handed every message of the outbox."""
    services.messages_send(
        message_ids=list(OutgoingMessage.objects.values_list("pk", flat=True)),
        now=timezone.now() + timedelta(days=1),
    )


def statuses(**filters) -> list[str]:
    messages = OutgoingMessage.objects.filter(**filters).order_by("pk")
    return list(messages.values_list("status", flat=True))


@pytest.mark.django_db
def test_past_the_cap_a_bookings_sms_are_recorded_refused_and_never_sent(settings):
    settings.BOOKING_MAX_MOVES = 10
    settings.SMS_PER_BOOKING_PER_DAY = 4
    booking = book(SlotFactory())
    for target in slots_after(booking, 10):
        services.booking_move(
            booking_id=booking.pk, slot_id=target.pk, hold_token="m", now=timezone.now()
        )
    assert statuses(booking=booking) == [Status.PENDING] * 4 + [Status.REFUSED] * 7
    # Sent before the cancellation: sent after it, they would no longer be true.
    send_everything()
    services.booking_cancel(booking_id=booking.pk, now=timezone.now())
    refused = OutgoingMessage.objects.filter(status=Status.REFUSED)
    assert {m.last_error for m in refused} == {
        "not sent: 4 SMS for this booking today (SMS_PER_BOOKING_PER_DAY)"
    }
    send_everything()
    assert len(locmem.outbox) == 4  # the provider never saw the others
    assert {sms.reference for sms in locmem.outbox}.isdisjoint(
        refused.values_list("idempotency_key", flat=True)
    )
    assert statuses(booking=booking) == [Status.SENT] * 4 + [Status.REFUSED] * 8
    assert all(m.attempts == 0 for m in refused)
    # Neither the sweeper nor an agent's "send again" picks them up.
    later = timezone.now() + timedelta(days=1)
    assert set(services.messages_sweep(now=later)).isdisjoint(
        refused.values_list("pk", flat=True)
    )
    refused_ids = list(refused.values_list("pk", flat=True))
    assert services.messages_retry(message_ids=refused_ids, now=later) == 0


@pytest.mark.django_db
def test_the_default_caps_let_a_whole_booking_day_through(settings):
    """Its confirmation, every move allowed and its cancellation, on one day."""
    booking = book(SlotFactory())
    for target in slots_after(booking, settings.BOOKING_MAX_MOVES):
        services.booking_move(
            booking_id=booking.pk, slot_id=target.pk, hold_token="m", now=timezone.now()
        )
    services.booking_cancel(booking_id=booking.pk, now=timezone.now())
    assert statuses() == [Status.PENDING] * (settings.BOOKING_MAX_MOVES + 2)


@pytest.mark.django_db
def test_past_the_cap_a_numbers_sms_are_refused_whatever_the_booking(settings):
    assert settings.SMS_PER_MOBILE_PER_DAY == 6  # the default
    bookings = [book(SlotFactory(), numero=f"45000000{i:02d}") for i in range(8)]
    assert [statuses(booking=b) for b in bookings] == [[Status.PENDING]] * 6 + [
        [Status.REFUSED]
    ] * 2
    assert OutgoingMessage.objects.filter(status=Status.REFUSED).first().last_error == (
        "not sent: 6 SMS to this number today (SMS_PER_MOBILE_PER_DAY)"
    )
    assert Booking.objects.count() == 8  # the bookings themselves are taken
    # Another number is not concerned; nor is a card's SMS to the capped number.
    book(SlotFactory(), numero="4500000099", mobile="+33698765432")
    card = CardFactory(mobile=FRENCH_MOBILE)
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=timezone.now())
    assert statuses(booking__mobile="+33698765432") == [Status.PENDING]
    assert statuses(card=card) == [Status.PENDING]
    send_everything()
    assert [sms.to for sms in locmem.outbox].count(FRENCH_MOBILE) == 7  # 6 + card


@pytest.mark.django_db
def test_the_caps_count_the_days_of_paris(settings):
    settings.SMS_PER_BOOKING_PER_DAY = 1
    booking = BookingFactory()
    now = timezone.now()
    for day, key in [(now, "a"), (now, "b"), (now + timedelta(days=1), "c")]:
        services.booking_notice(
            booking=booking,
            kind=OutgoingMessage.Kind.BOOKING_REMINDER,
            key=key,
            now=day,
        )
    # The rows were written today: tomorrow's count starts again from nothing.
    assert statuses() == [Status.PENDING, Status.REFUSED, Status.PENDING]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mobile",
    [
        "+33612345678",  # mainland
        "+262692123456",  # La Réunion
        "+262639012345",  # Mayotte
        "+590690001234",  # Guadeloupe, Saint-Barthélemy, Saint-Martin
        "+594694123456",  # Guyane
        "+596696123456",  # Martinique
        "+508551234",  # Saint-Pierre-et-Miquelon
        "+681821234",  # Wallis-et-Futuna
        "+687751234",  # Nouvelle-Calédonie
        "+68987123456",  # Polynésie française
    ],
)
def test_appointment_sms_go_to_every_french_number(mobile):
    book(SlotFactory(), mobile=mobile)
    assert statuses() == [Status.PENDING]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mobile", "region"),
    [("+447400123456", "GB"), ("+2693212345", "KM"), ("+12015550123", "US")],
)
def test_a_foreign_number_gets_no_appointment_sms(mobile, region):
    booking = book(SlotFactory(), mobile=mobile)
    message = OutgoingMessage.objects.get(booking=booking)
    assert (message.status, message.last_error) == (
        Status.REFUSED,
        f"not sent: region {region} outside SMS_ALLOWED_REGIONS",
    )
    send_everything()
    assert locmem.outbox == []


@pytest.mark.django_db
def test_a_setting_can_allow_every_number(settings):
    settings.SMS_ALLOWED_REGIONS = ["*"]
    book(SlotFactory(), mobile="+447400123456")
    assert statuses() == [Status.PENDING]


@pytest.mark.django_db
def test_a_foreign_mobile_books_with_an_email_and_gets_it_instead_of_sms(
    client, renewal, slot, title
):
    hold(client, renewal, slot)
    foreign = {**CONTACT, "mobile": "+44 7400 123456", "email": ""}
    page = client.post("/rendez-vous/coordonnees/", foreign).content.decode()
    assert "Nous n’envoyons de SMS qu’aux numéros de portable français" in page
    assert not Booking.objects.exists()
    page = client.post(
        "/rendez-vous/coordonnees/", {**foreign, "email": "awa@example.org"}
    ).content.decode()
    booking = Booking.objects.get()
    assert booking.mobile == "+447400123456"  # the agents can still call it
    assert sorted(booking.messages.values_list("channel", "status")) == [
        ("email", Status.PENDING),
        ("sms", Status.REFUSED),
    ]


@pytest.mark.django_db
def test_the_admin_lists_and_filters_the_refused_messages(admin_client, settings):
    settings.SMS_PER_BOOKING_PER_DAY = 1
    booking = book(SlotFactory())
    (target,) = slots_after(booking, 1)
    services.booking_move(
        booking_id=booking.pk, slot_id=target.pk, hold_token="m", now=timezone.now()
    )
    response = admin_client.get("/admin/booking/outgoingmessage/?status__exact=refused")
    listed = response.context["cl"].result_list
    assert [m.kind for m in listed] == [OutgoingMessage.Kind.BOOKING_MOVED]
    page = response.content.decode()
    assert "refusé (non envoyé)" in page
    assert "Non envoyé : déjà 1 SMS pour ce rendez-vous aujourd’hui (plafond)" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_moves_of_many_bookings_to_one_number_stop_at_its_cap(settings):
    settings.SMS_PER_MOBILE_PER_DAY = 3
    bookings = [BookingFactory(mobile=FRENCH_MOBILE) for _ in range(10)]
    targets = [slots_after(b, 1)[0] for b in bookings]
    barrier = threading.Barrier(len(bookings))
    errors: list = []

    def move(booking_id: int, slot_id: int) -> None:
        try:
            barrier.wait()
            services.booking_move(
                booking_id=booking_id,
                slot_id=slot_id,
                hold_token=f"m{booking_id}",
                now=timezone.now(),
            )
        except Exception as error:  # the outcome is what the test inspects
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=move, args=(b.pk, t.pk))
        for b, t in zip(bookings, targets, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Booking.objects.filter(move_count=1).count() == 10  # every move is made
    refused = OutgoingMessage.objects.filter(status=Status.REFUSED)
    # The others are pending, or sent already (the worker runs eagerly here).
    assert (OutgoingMessage.objects.count(), refused.count()) == (10, 7)


def test_the_default_regions_are_every_french_one(settings):
    assert sorted(settings.SMS_ALLOWED_REGIONS) == sorted(FRENCH_REGIONS)
    assert "KM" not in FRENCH_REGIONS  # the Comoros (+269); Mayotte is +262
