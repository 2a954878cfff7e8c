"""Places held while an applicant types: one per owner (the numéro étranger that
passed the identity check, or the booking being moved), capped per address."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.crypto import salted_hmac

from booking import availability
from booking.errors import BookingError, SlotFull, SlotNotBookable, TooManyHolds
from booking.models import Hold, Procedure, Slot
from booking.selectors import free_places, free_places_unlocked
from booking.services.locks import advisory_locks, slot_lock_bookable


def _hold_owner(*, numero_etranger: str, booking_id: int | None) -> Q:
    if bool(numero_etranger) == (booking_id is not None):
        raise ValueError("a hold has one owner: a numéro étranger or a booking")
    if numero_etranger:
        return Q(numero_etranger=numero_etranger)
    return Q(booking_id=booking_id)


def _ip_digest(client_ip: str) -> str:
    # Salted with SECRET_KEY, like the throttle's counters: the database never holds
    # the address, and a digest cannot be reversed by trying the 2^32 addresses.
    return salted_hmac("booking.holds", client_ip, algorithm="sha256").hexdigest()


def holds_release(owner: Q) -> None:
    """Deletes the owner's holds; a live one frees its place on the cached lists."""
    deleted, _by_model = Hold.objects.filter(owner).delete()
    if deleted:
        availability.changed()


def hold_release(*, token: str) -> None:
    """Releases a hold at once (its flow was abandoned); nothing if it is gone."""
    if token:
        holds_release(Q(token=token))


def hold_place(
    *,
    slot_id: int,
    procedure: Procedure,
    client_ip: str,
    now: datetime,
    numero_etranger: str = "",
    booking_id: int | None = None,
) -> Hold:
    """Keeps one place of the slot for BOOKING_HOLD_MINUTES for one owner: the numéro
    étranger that passed the identity check, or the booking being moved. The owner's
    previous hold is released in the same transaction, whatever the outcome (one hold
    per owner; choosing again abandons the previous choice), and at most
    BOOKING_HOLDS_PER_IP live holds are taken from one address (when ANTIBOT is on).
    Raises SlotNotBookable, SlotFull or TooManyHolds."""
    owner = _hold_owner(numero_etranger=numero_etranger, booking_id=booking_id)
    # In a rush most choices come after the last place went: those are refused on a
    # plain read, without the locks below that the others queue on (a place freed
    # meanwhile shows on the list again).
    free = free_places_unlocked(
        slot_id=slot_id,
        procedure_id=procedure.slots_procedure_id,
        now=now,
        hold_owner=owner,
    )
    if free is not None and free <= 0:
        holds_release(owner)  # as below: a new choice abandons the previous one
        raise SlotFull(slot_id)
    ip_digest = _ip_digest(client_ip)
    refused: BookingError
    with transaction.atomic():
        # Owner first, then address (one round trip), then the slot row, then hold
        # rows.
        advisory_locks(
            ("hold-owner", f"{numero_etranger}:{booking_id}"), ("hold-ip", ip_digest)
        )
        slot: Slot | None
        try:
            slot = slot_lock_bookable(slot_id=slot_id, procedure=procedure, now=now)
        except SlotNotBookable as error:
            slot, refused = None, error
        holds_release(owner)
        if slot is not None:
            live_from_ip = Hold.objects.filter(ip_digest=ip_digest, expires_at__gt=now)
            if settings.ANTIBOT and (
                live_from_ip.count() >= settings.BOOKING_HOLDS_PER_IP
            ):
                refused = TooManyHolds()
            elif free_places(slot, now=now) <= 0:
                refused = SlotFull(slot_id)
            else:
                return Hold.objects.create(
                    slot=slot,
                    token=secrets.token_urlsafe(24),
                    expires_at=now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES),
                    numero_etranger=numero_etranger,
                    booking_id=booking_id,
                    ip_digest=ip_digest,
                )
    # Raised after the commit: the previous hold stays released.
    raise refused
