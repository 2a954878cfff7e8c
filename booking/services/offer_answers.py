"""The answers to an offer of the waiting list: accept (a booking with every invariant
of a direct one, or the appointment moved earlier), decline, no answer by the deadline;
and a request closed because its numéro booked, withdrew or was removed. Locks in the
order offers.py states."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from booking import availability
from booking.errors import AlreadyBooked, NotCancellable, OfferClosed, SlotFull
from booking.models import (
    Booking,
    BookingEvent,
    Slot,
    WaitingEvent,
    WaitingOffer,
    WaitingRequest,
)
from booking.selectors import free_places, slot_is_closed
from booking.services.booking_rows import close_past_bookings, new_reference
from booking.services.locks import advisory_lock, advisory_locks
from booking.services.notices import (
    booking_confirmation_notices,
    booking_moved_notices,
)
from booking.services.offers import LIST, SYSTEM, offers_make, offers_trigger
from booking.services.waiting_notices import waiting_left_notice

RStatus = WaitingRequest.Status
OStatus = WaitingOffer.Status


def _missed(request: WaitingRequest, offer: WaitingOffer, kind: str, now) -> None:
    """An offer declined or left unanswered: back to waiting, or out of the list after
    WAITING_MAX_MISSED (with an SMS). The request's and offer's rows are locked."""
    offer.status = (
        OStatus.DECLINED if kind == WaitingEvent.Kind.DECLINED else OStatus.EXPIRED
    )
    offer.answered_at = now if kind == WaitingEvent.Kind.DECLINED else None
    offer.save(update_fields=["status", "answered_at"])
    request.missed_offers += 1
    WaitingEvent.objects.create(
        request=request,
        kind=kind,
        actor=SYSTEM if kind == WaitingEvent.Kind.EXPIRED else "usager",
        detail={"offer": offer.pk},
    )
    if request.missed_offers >= settings.WAITING_MAX_MISSED:
        request.status = RStatus.EXPIRED
        WaitingEvent.objects.create(
            request=request, kind=WaitingEvent.Kind.LEFT, actor=SYSTEM
        )
        waiting_left_notice(request=request, now=now)
    else:
        request.status = RStatus.WAITING
    request.status_changed_at = now
    request.save(update_fields=["status", "missed_offers", "status_changed_at"])
    availability.changed()
    offers_trigger(procedure_id=offer.slot.procedure_id)


def _locked(offer_id: int) -> tuple[WaitingRequest, WaitingOffer]:
    offer = WaitingOffer.objects.select_related("slot").get(pk=offer_id)
    request = WaitingRequest.objects.select_for_update().get(pk=offer.request_id)
    offer = (
        WaitingOffer.objects.select_for_update().select_related("slot").get(pk=offer_id)
    )
    return request, offer


def offer_decline(*, offer_id: int, now: datetime) -> WaitingRequest:
    """The person declines the place: it goes to the next request at once. Raises
    OfferClosed if the offer is no longer open."""
    with transaction.atomic():
        request, offer = _locked(offer_id)
        if offer.status != OStatus.OPEN:
            raise OfferClosed(offer.status)
        _missed(request, offer, WaitingEvent.Kind.DECLINED, now)
    return request


def offers_expire(*, now: datetime) -> int:
    """Closes the offers left unanswered past their deadline (the place goes to the
    next request). Returns how many."""
    due = list(
        WaitingOffer.objects.filter(status=OStatus.OPEN, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:1000]
    )
    expired = 0
    for offer_id in due:
        with transaction.atomic():
            request, offer = _locked(offer_id)
            if offer.status == OStatus.OPEN and offer.expires_at <= now:
                _missed(request, offer, WaitingEvent.Kind.EXPIRED, now)
                expired += 1
    return expired


def offers_withdraw_closed(*, now: datetime) -> int:
    """The open offers of places a closure has covered since they were made:
    withdrawn. The person waits again, in the same rank, and the offer does not
    count as missed; the allocator offers them another place (and the offer's page
    says why). Returns how many."""
    closed = Slot.objects.filter(slot_is_closed(), pk=OuterRef("slot_id"))
    due = list(
        WaitingOffer.objects.filter(Exists(closed), status=OStatus.OPEN).values_list(
            "pk", flat=True
        )[:1000]
    )
    procedures = set()
    for offer_id in due:
        with transaction.atomic():
            request, offer = _locked(offer_id)
            if offer.status != OStatus.OPEN:
                continue
            offer.status = OStatus.CANCELLED
            offer.answered_at = now
            offer.save(update_fields=["status", "answered_at"])
            request.status = RStatus.WAITING
            request.status_changed_at = now
            request.save(update_fields=["status", "status_changed_at"])
            WaitingEvent.objects.create(
                request=request,
                kind=WaitingEvent.Kind.OFFER_WITHDRAWN,
                actor=SYSTEM,
                detail={"offer": offer.pk},
            )
            procedures.add(offer.slot.procedure_id)
    for procedure_id in sorted(procedures):
        offers_trigger(procedure_id=procedure_id)
    return len(due)


def offers_sweep(*, now: datetime) -> int:
    """Every minute (beat): expires unanswered offers and withdraws those of places
    closed since, then offers whatever is free to every démarche with people
    waiting (places freed by expired holds, published at their moment, or whose
    trigger was lost). Returns the offers made."""
    offers_expire(now=now)
    offers_withdraw_closed(now=now)
    owners = set()
    for procedure_id, shared in (
        WaitingRequest.objects.filter(status=RStatus.WAITING)
        .values_list("procedure_id", "procedure__booking_procedure_id")
        .distinct()
    ):
        owners.add(shared or procedure_id)
    return sum(offers_make(procedure_id=pk, now=now) for pk in sorted(owners))


@dataclass(frozen=True)
class Accepted:
    booking: Booking
    moved: bool  # an earlier place for an appointment already booked


def offer_accept(*, offer_id: int, now: datetime) -> Accepted:
    """The person accepts the place: a confirmed booking (or their appointment moved
    to it, when they asked for an earlier one), with the same invariants and
    messages as a direct booking. Raises OfferClosed (answered, withdrawn, past its
    deadline), AlreadyBooked or NotCancellable; writes nothing then."""
    for _attempt in range(3):
        try:
            return _accept(offer_id=offer_id, now=now, reference=new_reference())
        except IntegrityError as error:
            request = WaitingOffer.objects.get(pk=offer_id).request
            active = Booking.objects.filter(
                numero_etranger=request.numero_etranger,
                status=Booking.Status.CONFIRMED,
            ).first()
            if active is not None and active.pk != request.booking_id:
                raise AlreadyBooked(active.reference) from error
    raise RuntimeError("could not draw a free booking reference")


def _ensure_open(offer: WaitingOffer, slot: Slot, now: datetime) -> None:
    if offer.status != OStatus.OPEN:
        raise OfferClosed(offer.status)
    if offer.expires_at <= now or slot.starts_at <= now:
        raise OfferClosed(OStatus.EXPIRED)
    # (annotated by _accept) a closure covers it since the offer: never a booking
    if getattr(slot, "closed", False):
        raise OfferClosed(OStatus.CANCELLED)


def _accept(*, offer_id: int, now: datetime, reference: str) -> Accepted:
    first = WaitingOffer.objects.select_related("request").get(pk=offer_id)
    with transaction.atomic():
        moving: Booking | None = None
        if first.request.wants_earlier and first.request.booking_id:
            moving = Booking.objects.select_for_update().get(
                pk=first.request.booking_id
            )
        slot = (
            Slot.objects.select_for_update(of=("self",))
            .select_related("site")
            .annotate(closed=slot_is_closed())
            .get(pk=first.slot_id)
        )
        # Read again under the slot's lock: open now, its place is still free (an
        # answer may close it meanwhile, but nobody can take the place while the
        # slot is locked; the check under the request's lock below decides).
        _ensure_open(WaitingOffer.objects.get(pk=offer_id), slot, now)
        if free_places(slot, now=now, exclude_offer=offer_id) <= 0:
            raise SlotFull(slot.pk)  # never: the offer kept the place
        booking = moving
        if booking is None:
            # The numéro's and the mobile's locks, then the numéro's booking row,
            # then the request's row, as booking_create does (it closes the request
            # after its insert): in another order, the person booking in another
            # tab at the same moment deadlocks (their insert waiting for ours on the
            # one-active-booking index, our SMS cap for their mobile's lock).
            advisory_locks(
                ("waiting-join", first.request.numero_etranger),
                ("sms-to", first.request.mobile),
            )
            booking = _book_row(first.request, slot=slot, reference=reference, now=now)
        request, offer = _locked(offer_id)
        _ensure_open(offer, slot, now)  # answered meanwhile: all of it rolls back
        if moving is not None:
            _move_earlier(moving, slot=slot, offer=offer, now=now)
        else:
            BookingEvent.objects.create(
                booking=booking,
                kind=BookingEvent.Kind.CREATED,
                actor=LIST,
                detail={"slot": slot.pk, "offer": offer.pk},
            )
            booking_confirmation_notices(booking=booking, now=now)
        offer.status = OStatus.ACCEPTED
        offer.answered_at = now
        offer.save(update_fields=["status", "answered_at"])
        request.status = RStatus.BOOKED
        request.status_changed_at = now
        request.booking = booking
        request.save(update_fields=["status", "status_changed_at", "booking"])
        WaitingEvent.objects.create(
            request=request,
            kind=WaitingEvent.Kind.ACCEPTED,
            actor="usager",
            detail={"offer": offer.pk, "booking": booking.pk},
        )
        availability.changed()
    return Accepted(booking=booking, moved=moving is not None)


def _book_row(
    request: WaitingRequest, *, slot: Slot, reference: str, now: datetime
) -> Booking:
    """The booking's row, one active per numéro (AlreadyBooked; the unique index
    is the backstop when the person books elsewhere at the same moment)."""
    close_past_bookings(numero_etranger=request.numero_etranger, now=now)
    existing = Booking.objects.filter(
        numero_etranger=request.numero_etranger, status=Booking.Status.CONFIRMED
    ).first()
    if existing is not None:
        raise AlreadyBooked(existing.reference)
    return Booking.objects.create(
        reference=reference,
        slot=slot,
        procedure=request.procedure,
        numero_etranger=request.numero_etranger,
        last_name=request.last_name,
        first_name=request.first_name,
        mobile=request.mobile,
        email=request.email,
        language=request.language,
        for_relative=request.for_relative,
    )


def _move_earlier(
    booking: Booking, *, slot: Slot, offer: WaitingOffer, now: datetime
) -> Booking:
    """The appointment moves to the offered place (not counted as one of the
    applicant's moves: the préfecture offered it); its old place is freed."""
    if booking.status != Booking.Status.CONFIRMED or booking.slot.starts_at <= now:
        raise NotCancellable(booking.reference)
    previous = booking.slot_id
    booking.slot = slot
    booking.save(update_fields=["slot", "updated_at"])
    BookingEvent.objects.create(
        booking=booking,
        kind=BookingEvent.Kind.MOVED,
        actor=LIST,
        detail={"from": previous, "to": slot.pk, "offer": offer.pk},
    )
    booking_moved_notices(booking=booking, now=now)
    offers_trigger(procedure_id=slot.procedure_id)  # the old place is free
    return booking


def request_close(request: WaitingRequest, *, status: str, now: datetime) -> bool:
    """Closes a live request (its row locked) and its open offer, if any; True when
    an offer's place was given back."""
    request.status = status
    request.status_changed_at = now
    request.save(update_fields=["status", "status_changed_at", "booking"])
    cancelled = WaitingOffer.objects.filter(
        request=request, status=OStatus.OPEN
    ).update(status=OStatus.CANCELLED, answered_at=now)
    if cancelled:
        availability.changed()
    return bool(cancelled)


def waiting_close_for_booking(
    *, booking: Booking, now: datetime, on_the_list: bool | None = None
) -> None:
    """Inside the transaction that books or cancels ``booking``: a request of its
    numéro still on the list leaves it (booked directly; or its appointment, which
    it wanted earlier, is cancelled), and its open offer goes to the next person.
    ``on_the_list``: whether the numéro has a live request, when the caller read it
    holding the numéro's "waiting-join" lock."""
    # The lock waiting_join holds while it checks for an active booking: a join in
    # flight is committed before we look (and closed here), or sees this booking
    # (and is refused). Without it, a person booking and joining at the same
    # moment stayed on the list with an appointment.
    if on_the_list is None:
        advisory_lock("waiting-join", booking.numero_etranger)
    elif not on_the_list:
        return
    live = WaitingRequest.objects.select_for_update().filter(
        numero_etranger=booking.numero_etranger, status__in=WaitingRequest.LIVE
    )
    for request in live:
        if booking.status == Booking.Status.CONFIRMED:
            request.booking = booking
            status, kind = RStatus.BOOKED, WaitingEvent.Kind.ACCEPTED
        else:
            status, kind = RStatus.WITHDRAWN, WaitingEvent.Kind.WITHDRAWN
        WaitingEvent.objects.create(
            request=request, kind=kind, actor=SYSTEM, detail={"booking": booking.pk}
        )
        if request_close(request, status=status, now=now):
            offers_trigger(procedure_id=booking.slot.procedure_id)
