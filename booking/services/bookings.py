"""Every write of the booking flow: lock, re-check, write, enqueue after commit."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from booking.errors import (
    AlreadyBooked,
    BookingError,
    MoveLimitReached,
    NotCancellable,
    SlotFull,
    TooLate,
)
from booking.models import (
    Booking,
    BookingEvent,
    Hold,
    OutgoingMessage,
    Procedure,
)
from booking.selectors import free_places
from booking.services.booking_rows import close_past_bookings, new_reference
from booking.services.history import fields_update
from booking.services.holds import holds_release, own_hold_token
from booking.services.locks import slot_lock_bookable
from booking.services.notices import booking_confirmation_notices, booking_notice
from booking.services.offer_answers import waiting_close_for_booking
from booking.services.offers import offers_trigger

APPLICANT = "usager"


@dataclass(frozen=True)
class Applicant:
    numero_etranger: str
    last_name: str
    first_name: str
    mobile: str
    email: str = ""
    language: str = "fr"
    for_relative: bool = False


def booking_create(
    *,
    slot_id: int,
    procedure: Procedure,
    applicant: Applicant,
    hold_token: str,
    now: datetime,
) -> Booking:
    """Books a place in one short transaction: at most ``capacity`` confirmed bookings
    per slot and one active booking per numéro étranger, whatever the race. Raises
    SlotNotBookable, SlotFull or AlreadyBooked; writes nothing then."""
    for _attempt in range(3):
        reference = new_reference()
        try:
            return _booking_insert(
                reference=reference,
                slot_id=slot_id,
                procedure=procedure,
                applicant=applicant,
                hold_token=hold_token,
                now=now,
            )
        except BookingError:
            # A lost race or a refusal releases the applicant's hold at once.
            holds_release(Q(numero_etranger=applicant.numero_etranger))
            raise
        except IntegrityError as error:
            # The partial unique index is the backstop when two requests of the
            # same person race on different slots.
            active = Booking.objects.filter(
                numero_etranger=applicant.numero_etranger,
                status=Booking.Status.CONFIRMED,
            ).first()
            if active is not None:
                holds_release(Q(numero_etranger=applicant.numero_etranger))
                raise AlreadyBooked(active.reference) from error
            if not Booking.objects.filter(reference=reference).exists():
                raise
    raise RuntimeError("could not draw a free booking reference")


@transaction.atomic
def _booking_insert(
    *,
    reference: str,
    slot_id: int,
    procedure: Procedure,
    applicant: Applicant,
    hold_token: str,
    now: datetime,
) -> Booking:
    slot = slot_lock_bookable(slot_id=slot_id, procedure=procedure, now=now)
    close_past_bookings(numero_etranger=applicant.numero_etranger, now=now)
    existing = Booking.objects.filter(
        numero_etranger=applicant.numero_etranger, status=Booking.Status.CONFIRMED
    ).first()
    if existing is not None:
        raise AlreadyBooked(existing.reference)
    own_hold = own_hold_token(hold_token, Q(numero_etranger=applicant.numero_etranger))
    if free_places(slot, now=now, exclude_hold_token=own_hold) <= 0:
        raise SlotFull(slot_id)
    booking = Booking.objects.create(
        reference=reference,
        slot=slot,
        procedure=procedure,
        numero_etranger=applicant.numero_etranger,
        last_name=applicant.last_name,
        first_name=applicant.first_name,
        mobile=applicant.mobile,
        email=applicant.email,
        language=applicant.language,
        for_relative=applicant.for_relative,
    )
    Hold.objects.filter(numero_etranger=applicant.numero_etranger).delete()
    BookingEvent.objects.create(
        booking=booking,
        kind=BookingEvent.Kind.CREATED,
        actor=APPLICANT,
        detail={"slot": slot.pk},
    )
    # Booked by themselves: off the waiting list (an offer open to them goes on).
    waiting_close_for_booking(booking=booking, now=now)
    booking_confirmation_notices(booking=booking, now=now)
    return booking


def _ensure_changeable(booking: Booking, *, now: datetime) -> None:
    if booking.status != Booking.Status.CONFIRMED or booking.slot.starts_at <= now:
        raise NotCancellable(booking.reference)
    cutoff = timedelta(hours=settings.BOOKING_CHANGE_CUTOFF_HOURS)
    if booking.slot.starts_at - now < cutoff:
        raise TooLate(booking.reference)


def booking_cancel(*, booking_id: int, now: datetime, by: str = APPLICANT) -> Booking:
    """Cancels an active appointment, which frees its place at once. Raises
    NotCancellable or TooLate (only for the applicant: agents may cancel late)."""
    with transaction.atomic():
        # The row alone: locked with its slot joined, a move committed meanwhile
        # makes PostgreSQL re-check the join against the old slot and find nothing.
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if by == APPLICANT:
            _ensure_changeable(booking, now=now)
        elif booking.status != Booking.Status.CONFIRMED:
            raise NotCancellable(booking.reference)
        booking.status = Booking.Status.CANCELLED
        booking.save(update_fields=["status", "updated_at"])
        BookingEvent.objects.create(
            booking=booking, kind=BookingEvent.Kind.CANCELLED, actor=by
        )
        # Nothing left to bring earlier; the freed place goes to the list first.
        waiting_close_for_booking(booking=booking, now=now)
        offers_trigger(procedure_id=booking.slot.procedure_id)
        booking_notice(
            booking=booking,
            kind=OutgoingMessage.Kind.BOOKING_CANCELLED,
            key=f"booking:{booking.pk}:cancelled",
            now=now,
        )
    return booking


def booking_move(
    *, booking_id: int, slot_id: int, hold_token: str, now: datetime
) -> Booking:
    """Moves an appointment to another slot of the same démarche, keeping its
    reference and its holder, BOOKING_MAX_MOVES times at most (counted under the
    booking's lock); the booking's hold is released whatever the outcome. Raises
    NotCancellable, TooLate, MoveLimitReached, SlotNotBookable or SlotFull."""
    try:
        return _booking_move(
            booking_id=booking_id, slot_id=slot_id, hold_token=hold_token, now=now
        )
    finally:
        holds_release(Q(booking_id=booking_id))


def _booking_move(
    *, booking_id: int, slot_id: int, hold_token: str, now: datetime
) -> Booking:
    with transaction.atomic():
        # Lock order: the booking, then the slot, as everywhere else. The row is
        # locked alone: joined to its slot, a row another move has just changed is
        # re-checked by PostgreSQL against its old slot, and not found.
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        _ensure_changeable(booking, now=now)
        slot = slot_lock_bookable(slot_id=slot_id, procedure=booking.procedure, now=now)
        if slot.pk == booking.slot_id:
            return booking
        if booking.move_count >= settings.BOOKING_MAX_MOVES:
            raise MoveLimitReached(booking.reference)
        own_hold = own_hold_token(hold_token, Q(booking_id=booking.pk))
        if free_places(slot, now=now, exclude_hold_token=own_hold) <= 0:
            raise SlotFull(slot_id)
        previous = booking.slot_id
        offers_trigger(procedure_id=slot.procedure_id)  # the old place is free
        booking.slot = slot
        booking.move_count += 1
        booking.save(update_fields=["slot", "move_count", "updated_at"])
        Hold.objects.filter(booking=booking).delete()
        BookingEvent.objects.create(
            booking=booking,
            kind=BookingEvent.Kind.MOVED,
            actor=APPLICANT,
            detail={"from": previous, "to": slot.pk},
        )
        booking_notice(
            booking=booking,
            kind=OutgoingMessage.Kind.BOOKING_MOVED,
            key=f"booking:{booking.pk}:moved:{slot.pk}",
            now=now,
        )
    return booking


def booking_check_in(*, booking_id: int, by: str, present: bool) -> Booking:
    """The front desk records that the applicant came (honoured) or not (no-show).
    Raises NotCancellable when the appointment was cancelled."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if booking.status == Booking.Status.CANCELLED:
            raise NotCancellable(booking.reference)
        booking.status = Booking.Status.HONOURED if present else Booking.Status.NO_SHOW
        booking.save(update_fields=["status", "updated_at"])
        BookingEvent.objects.create(
            booking=booking,
            kind=BookingEvent.Kind.HONOURED if present else BookingEvent.Kind.NO_SHOW,
            actor=by,
        )
    return booking


def booking_flag_numero(*, booking_id: int, by: str, note: str) -> Booking:
    """Flags an appointment taken with a doubtful numéro étranger, with the agent's
    note (the préfecture may refuse it)."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        booking.suspicious_numero = True
        booking.agent_note = note.strip()[:2000]
        booking.save(update_fields=["suspicious_numero", "agent_note", "updated_at"])
        BookingEvent.objects.create(
            booking=booking,
            kind=BookingEvent.Kind.FLAGGED,
            actor=by,
            detail={"note": booking.agent_note},
        )
    return booking


def booking_update_contact(
    *,
    booking_id: int,
    by: str,
    last_name: str,
    first_name: str,
    mobile: str,
    email: str,
    language: str,
    for_relative: bool,
) -> Booking:
    """An agent corrects how to reach the applicant; only these fields are written
    (a status or flag changed meanwhile by a service is kept). The change and its
    author are kept in the booking's history (django-simple-history)."""
    fields = {
        "last_name": last_name.strip()[:150],
        "first_name": first_name.strip()[:150],
        "mobile": mobile,
        "email": email.strip(),
        "language": language,
        "for_relative": for_relative,
    }
    return fields_update(Booking, pk=booking_id, fields=fields, by=by)
