"""Every write of the booking flow: lock, re-check, write, enqueue after commit."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from booking import availability
from booking.errors import (
    AlreadyBooked,
    BookingError,
    CheckInTooEarly,
    CheckInUndoRefused,
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
from booking.rules import (
    CheckInKind,
    is_agent_cancel_allowed,
    is_changeable_online,
    is_check_in_allowed,
    is_check_in_undo_allowed,
)
from booking.selectors import booking_checks_statement, free_places
from booking.services.booking_rows import close_past_bookings, new_reference
from booking.services.history import creation_record, fields_update
from booking.services.holds import holds_release
from booking.services.locks import (
    advisory_locks_statement,
    slot_bookable,
    slot_lock_bookable,
    slot_lock_statement,
)
from booking.services.notices import (
    booking_confirmation_rows,
    booking_moved_notices,
    booking_notice,
    confirmation_enqueue,
)
from booking.services.offer_answers import waiting_close_for_booking
from booking.services.offers import offers_trigger
from booking.services.one_statement import (
    delete_rows,
    insert_rows,
    write_together,
)
from booking.sms import texts
from booking.sms.gsm7 import septets
from prefecture.compiled_sql import run_together

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

    @classmethod
    def of(cls, booking: Booking) -> "Applicant":
        """The holder of an appointment, as a new request of theirs names them."""
        return cls(
            numero_etranger=booking.numero_etranger,
            last_name=booking.last_name,
            first_name=booking.first_name,
            mobile=booking.mobile,
            email=booking.email,
            language=booking.language,
            for_relative=booking.for_relative,
        )


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
    # The slot's row locked, then the locks of the numéro (a waiting-list join in
    # flight) and of the mobile (the SMS caps count across bookings), in the order
    # every writer takes them, with the new booking's id drawn; then everything to
    # check, read once: one round trip (each one is a wait for whoever queues on the
    # slot's lock). Then every row written in one statement.
    found, booking_id, checks_of = _locked_reads(
        slot_id=slot_id,
        procedure=procedure,
        applicant=applicant,
        hold_token=hold_token,
        now=now,
    )
    slot = slot_bookable(found, slot_id=slot_id, procedure=procedure, now=now)
    checks = checks_of(slot.capacity)
    if checks.has_past:  # no longer active: closed (and locked then), which is rare
        close_past_bookings(numero_etranger=applicant.numero_etranger, now=now)
    if checks.active_reference is not None:
        raise AlreadyBooked(checks.active_reference)
    # The hold is the applicant's own only if their numéro holds it: someone
    # else's counts as a taken place (never confirmed under another identity).
    if checks.free_places <= 0:
        raise SlotFull(slot_id)
    booking = Booking(
        pk=booking_id,
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
    if booking_id is None:  # SQLite (`make run`): the row alone first, for its id
        Booking.objects.bulk_create([booking])
        rows = []
    else:
        rows = [insert_rows([booking])]  # its created_at… set now
    messages = booking_confirmation_rows(
        booking=booking, now=now, sent_to_mobile=checks.sms_today
    )
    write_together(
        *rows,
        # What Booking's post_save receivers do on a save (pinned by a test).
        insert_rows([creation_record(booking)]),
        delete_rows(Hold.objects.filter(numero_etranger=applicant.numero_etranger)),
        insert_rows(
            [
                BookingEvent(
                    booking=booking,
                    kind=BookingEvent.Kind.CREATED,
                    actor=APPLICANT,
                    detail={"slot": slot.pk},
                )
            ]
        ),
        insert_rows(messages, returning_ids=True),
    )
    availability.changed()  # the other post_save receiver
    confirmation_enqueue(messages, now=now)
    # Booked by themselves: off the waiting list (an offer open to them goes on).
    waiting_close_for_booking(
        booking=booking, now=now, on_the_list=checks.on_waiting_list
    )
    return booking


def _locked_reads(
    *,
    slot_id: int,
    procedure: Procedure,
    applicant: Applicant,
    hold_token: str,
    now: datetime,
) -> tuple:
    locks = advisory_locks_statement(
        ("waiting-join", applicant.numero_etranger),
        ("sms-to", applicant.mobile),
        new_id_of=Booking,
    )
    found, *drawn, checks_of = run_together(
        [
            slot_lock_statement(slot_id=slot_id, procedure=procedure),
            *([locks] if locks is not None else []),  # none on SQLite
            booking_checks_statement(
                slot_id=slot_id,
                now=now,
                numero_etranger=applicant.numero_etranger,
                mobile=applicant.mobile,
                hold_token=hold_token,
            ),
        ]
    )
    return found, (drawn[0] if drawn else None), checks_of


def _ensure_changeable(booking: Booking, *, now: datetime) -> None:
    if booking.status != Booking.Status.CONFIRMED or booking.slot.starts_at <= now:
        raise NotCancellable(booking.reference)
    cutoff = timedelta(hours=settings.BOOKING_CHANGE_CUTOFF_HOURS)
    if not is_changeable_online(
        starts_at=booking.slot.starts_at, now=now, cutoff=cutoff
    ):
        raise TooLate(booking.reference)


def booking_cancel(
    *, booking_id: int, now: datetime, by: str = APPLICANT, message: str = ""
) -> Booking:
    """Cancels an active appointment, which frees its place at once; the applicant
    is told by SMS, with an agent's ``message`` when it fits the SMS's one segment
    (kept in the event's detail). Raises NotCancellable or TooLate (the applicant:
    within BOOKING_CHANGE_CUTOFF_HOURS; an agent: once it has started, see
    rules.is_agent_cancel_allowed)."""
    with transaction.atomic():
        # The row alone: locked with its slot joined, a move committed meanwhile
        # makes PostgreSQL re-check the join against the old slot and find nothing.
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if by == APPLICANT:
            _ensure_changeable(booking, now=now)
        elif booking.status != Booking.Status.CONFIRMED:
            raise NotCancellable(booking.reference)
        elif not is_agent_cancel_allowed(starts_at=booking.slot.starts_at, now=now):
            raise TooLate(booking.reference)
        booking.status = Booking.Status.CANCELLED
        booking.save(update_fields=["status", "updated_at"])
        message = texts.cancellation_message(message) if by != APPLICANT else ""
        BookingEvent.objects.create(
            booking=booking,
            kind=BookingEvent.Kind.CANCELLED,
            actor=by,
            detail={"message": message} if message else {},
        )
        # A place held for a move of it is freed too, not kept ten minutes.
        holds_release(Q(booking_id=booking.pk))
        # Nothing left to bring earlier; the freed place goes to the list first.
        waiting_close_for_booking(booking=booking, now=now)
        offers_trigger(procedure_id=booking.slot.procedure_id)
        booking_notice(
            booking=booking,
            kind=OutgoingMessage.Kind.BOOKING_CANCELLED,
            key=f"booking:{booking.pk}:cancelled",
            now=now,
            agent_message=message,
        )
    return booking


def cancel_message_room(booking: Booking) -> int:
    """How long (GSM-7 septets) an agent's message to the applicant may be, added
    to the cancellation SMS of ``booking`` (which stays one segment)."""
    return texts.cancellation_message_room(booking=booking)


def cancel_message_length(message: str) -> int:
    """The agent's message's length as the cancellation SMS carries it."""
    return septets(texts.cancellation_message(message))


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
        mine = Q(booking_id=booking.pk)  # a hold of another owner is a taken place
        free = free_places(
            slot, now=now, exclude_hold_token=hold_token, hold_owner=mine
        )
        if free <= 0:
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
        booking_moved_notices(booking=booking, now=now)
    return booking


def booking_check_in(
    *, booking_id: int, by: str, present: bool, now: datetime
) -> Booking:
    """The front desk records that the applicant came (honoured), from the
    appointment's day (Paris) on, or did not (no-show), once it has ended. Raises
    NotCancellable when the appointment was cancelled, CheckInTooEarly before
    then."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if booking.status == Booking.Status.CANCELLED:
            raise NotCancellable(booking.reference)
        refusal = check_in_refusal(booking, present=present, now=now)
        if refusal:
            raise CheckInTooEarly(refusal)
        booking.status = Booking.Status.HONOURED if present else Booking.Status.NO_SHOW
        booking.save(update_fields=["status", "updated_at"])
        BookingEvent.objects.create(
            booking=booking,
            kind=BookingEvent.Kind.HONOURED if present else BookingEvent.Kind.NO_SHOW,
            actor=by,
        )
    return booking


def check_in_refusal(booking: Booking, *, present: bool, now: datetime) -> str:
    """Why ``present`` (or absent) cannot be recorded for ``booking`` now, in the
    agent's words; "" when it can (see rules.is_check_in_allowed)."""
    tz = timezone.get_default_timezone()
    kind = CheckInKind.PRESENT if present else CheckInKind.NO_SHOW
    slot = booking.slot
    if is_check_in_allowed(
        kind, starts_at=slot.starts_at, ends_at=slot.ends_at, now=now, tz=tz
    ):
        return ""
    if present:
        return gettext(
            "« Présent » se saisit à partir du jour du rendez-vous (%(day)s)."
        ) % {"day": date_format(timezone.localtime(slot.starts_at, tz), "l j F")}
    return gettext(
        "« Absent » se saisit une fois le rendez-vous terminé (après %(time)s)."
    ) % {"time": timezone.localtime(slot.ends_at, tz).strftime("%H:%M")}


def cancel_refusal(booking: Booking, *, now: datetime) -> str:
    """Why an agent cannot cancel ``booking`` now, in the agent's words; "" when
    they can (see rules.is_agent_cancel_allowed)."""
    if is_agent_cancel_allowed(starts_at=booking.slot.starts_at, now=now):
        return ""
    return gettext(
        "Rendez-vous commencé ou passé : marquez l’usager présent ou absent (aucun "
        "SMS d’annulation)."
    )


CHECK_IN_KINDS = (BookingEvent.Kind.HONOURED, BookingEvent.Kind.NO_SHOW)


def check_in_undo_refusal(booking: Booking, *, now: datetime) -> str:
    """Why the present or absent of ``booking`` cannot be undone now, in the agent's
    words; "" when it can: recorded the same day (Paris) as ``now``."""
    if booking.status not in (Booking.Status.HONOURED, Booking.Status.NO_SHOW):
        return gettext("Aucune présence ni absence à annuler.")
    recorded = (
        booking.events.filter(kind__in=CHECK_IN_KINDS)
        .exclude(detail__has_key="undo")
        .order_by("-at", "-pk")
        .first()
    )
    tz = timezone.get_default_timezone()
    if recorded is None or not is_check_in_undo_allowed(
        recorded_at=recorded.at, now=now, tz=tz
    ):
        return gettext(
            "La saisie ne s’annule que le jour où elle a été faite ; "
            "adressez-vous à un responsable."
        )
    return ""


def booking_check_in_undo(*, booking_id: int, by: str, now: datetime) -> Booking:
    """Puts a present or absent recorded by mistake back to confirmed, the same day
    (Paris) it was recorded; audited as an event of the undone kind with
    ``detail["undo"]``. Raises CheckInUndoRefused otherwise."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        refusal = check_in_undo_refusal(booking, now=now)
        if refusal:
            raise CheckInUndoRefused(refusal)
        undone = booking.status
        booking.status = Booking.Status.CONFIRMED
        booking.save(update_fields=["status", "updated_at"])
        # No kind of its own (a new choice needs a migration): the undone kind,
        # marked. Statistics count statuses, not events.
        BookingEvent.objects.create(
            booking=booking,
            kind=BookingEvent.Kind(undone),
            actor=by,
            detail={"undo": True, "status": Booking.Status.CONFIRMED},
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
    author are kept in the booking's history (django-simple-history). Its SMS not
    yet sent (held by the quiet hours) go to the new number; those already with
    the provider stay as they were sent."""
    fields = {
        "last_name": last_name.strip()[:150],
        "first_name": first_name.strip()[:150],
        "mobile": mobile,
        "email": email.strip(),
        "language": language,
        "for_relative": for_relative,
    }
    with transaction.atomic():
        booking = fields_update(Booking, pk=booking_id, fields=fields, by=by)
        if booking.mobile:
            OutgoingMessage.objects.filter(
                booking_id=booking_id,
                channel=OutgoingMessage.Channel.SMS,
                status=OutgoingMessage.Status.PENDING,
            ).exclude(to=booking.mobile).update(to=booking.mobile)
    return booking
