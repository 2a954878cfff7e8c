"""Places held while an applicant types: one per owner (the numéro étranger that
passed the identity check, or the booking being moved), capped per address."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.crypto import salted_hmac

from booking import availability
from booking.errors import BookingError, SlotFull, SlotNotBookable, TooManyHolds
from booking.models import Hold, Procedure, Slot
from booking.selectors import free_places_statement, free_places_unlocked_statement
from booking.services.locks import (
    advisory_locks_statement,
    slot_bookable,
    slot_lock_statement,
)
from booking.services.one_statement import delete_statement
from prefecture.compiled_sql import CompiledQuery, run_together


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


def _live_from_address(*, ip_digest: str, now: datetime) -> QuerySet:
    return (
        Hold.objects.filter(ip_digest=ip_digest, expires_at__gt=now)
        .order_by()
        .values("ip_digest")
        .annotate(n=Count("pk"))
        .values("n")
    )


# The live holds taken from one address (counted whether ANTIBOT caps them or not:
# one statement more in a message costs no round trip).
_LIVE_FROM_ADDRESS = CompiledQuery(_live_from_address, ip_digest=str, now=datetime)


def holds_release(owner: Q) -> None:
    """Deletes the owner's holds; a live one frees its place on the cached lists."""
    [deleted] = run_together([delete_statement(Hold.objects.filter(owner))])
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
    previous hold is released first, whatever the outcome (one hold
    per owner; choosing again abandons the previous choice), and at most
    BOOKING_HOLDS_PER_IP live holds are taken from one address (when ANTIBOT is on).
    Raises SlotNotBookable, SlotFull or TooManyHolds."""
    owner = _hold_owner(numero_etranger=numero_etranger, booking_id=booking_id)
    # In a rush most choices come after the last place went: those are refused on a
    # plain read, without the locks below that the others queue on (a place freed
    # meanwhile shows on the list again). The owner's previous hold is released with
    # it, whatever comes next (a new choice abandons the previous one): one round
    # trip.
    released, free = run_together(
        [
            delete_statement(Hold.objects.filter(owner)),
            free_places_unlocked_statement(
                slot_id=slot_id,
                procedure_id=procedure.slots_procedure_id,
                now=now,
                numero_etranger=numero_etranger,
                booking_id=booking_id,
            ),
        ]
    )
    if released:
        availability.changed()
    if free is not None and free <= 0:
        raise SlotFull(slot_id)
    ip_digest = _ip_digest(client_ip)
    refused: BookingError
    with transaction.atomic():
        # Owner first, then address, then the slot row, then hold rows: the owner's
        # holds released, then those of the address and the places counted, all in
        # one round trip (each one is a wait for whoever queues on the slot's lock).
        locks = advisory_locks_statement(
            ("hold-owner", f"{numero_etranger}:{booking_id}"), ("hold-ip", ip_digest)
        )
        found, released, from_address, free_of = run_together(
            [
                *([locks] if locks is not None else []),  # none on SQLite
                slot_lock_statement(slot_id=slot_id, procedure=procedure),
                delete_statement(Hold.objects.filter(owner)),
                _LIVE_FROM_ADDRESS.statement(ip_digest=ip_digest, now=now).then(
                    lambda rows: rows[0]["n"] if rows else 0
                ),
                free_places_statement(slot_id=slot_id, now=now),
            ]
        )[-4:]
        if released:
            availability.changed()
        slot: Slot | None
        try:
            slot = slot_bookable(found, slot_id=slot_id, procedure=procedure, now=now)
        except SlotNotBookable as error:
            slot, refused = None, error
        if slot is not None:
            if settings.ANTIBOT and from_address >= settings.BOOKING_HOLDS_PER_IP:
                refused = TooManyHolds()
            elif free_of(slot.capacity) <= 0:
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
