"""A closure added after the slots were opened: the slots it covers are hidden at once
(selectors.slot_is_closed); the appointments already on them stay until an agent
decides, for each closure, to keep them or to cancel them with an SMS (and, if the
agent wishes, put each person first on the waiting list for a new place)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from booking.errors import BookingError
from booking.models import Booking, ClosureDay, WaitingRequest
from booking.services.bookings import Applicant, booking_cancel
from booking.services.offer_answers import offers_withdraw_closed
from booking.services.waiting import (
    title_valid_until_for,
    waiting_join,
    waiting_priority_set,
)


@dataclass
class ClosureOutcome:
    cancelled: list[str] = field(default_factory=list)  # references
    offered: list[str] = field(default_factory=list)  # on the list, in priority
    failed: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)


def closure_save(*, closure: ClosureDay, now: datetime) -> int:
    """Saves a closure (its slots are hidden at once) and withdraws the waiting
    list's open offers on the places it closes, so that nobody accepts a place on a
    closed half-day. The appointments already there wait for the agent's decision
    (closure_bookings_cancel). Returns the offers withdrawn."""
    with transaction.atomic():
        closure.save()
    return offers_withdraw_closed(now=now)


def closure_bookings_cancel(
    *,
    closure: ClosureDay,
    booking_ids: list[int],
    offer_new_place: bool,
    by: str,
    now: datetime,
) -> ClosureOutcome:
    """Cancels the chosen appointments of a closed day, each with its cancellation
    SMS (``by``, the agent, recorded in its trail); with ``offer_new_place``, each
    person then joins the waiting list for the same démarche and site with the
    "urgente" priority, so that the next place that fits is offered to them first.
    Only appointments the closure covers are touched; each failure is reported,
    the others go on."""
    outcome = ClosureOutcome()
    bookings = Booking.objects.select_related("slot__site", "procedure").filter(
        pk__in=booking_ids,
        slot__site_id=closure.site_id,
        slot__starts_at__date=closure.day,
    )
    for booking in bookings:
        try:
            booking_cancel(booking_id=booking.pk, now=now, by=by)
        except BookingError as error:
            outcome.failed.append((booking.reference, type(error).__name__))
            continue
        outcome.cancelled.append(booking.reference)
        if offer_new_place:
            _offer_new_place(booking, closure=closure, by=by, now=now, outcome=outcome)
    return outcome


def _offer_new_place(
    booking: Booking,
    *,
    closure: ClosureDay,
    by: str,
    now: datetime,
    outcome: ClosureOutcome,
) -> None:
    try:
        request = waiting_join(
            procedure=booking.procedure,
            applicant=Applicant.of(booking),
            title_valid_until=title_valid_until_for(booking.numero_etranger)
            or timezone.localtime(booking.slot.starts_at).date(),
            site_ids=[closure.site_id],
            unavailable=0,
            now=now,
            by=by,
        )
        waiting_priority_set(
            request_id=request.pk,
            priority=WaitingRequest.Priority.URGENT,
            reason=f"fermeture du {closure.day:%d/%m/%Y}",
            by=by,
        )
    except BookingError as error:
        outcome.failed.append((booking.reference, type(error).__name__))
        return
    outcome.offered.append(booking.reference)
