"""What every way of booking shares (the flow, an accepted waiting-list offer): the
reference, and closing a numéro's past appointments before a new one is taken."""

import secrets
from datetime import datetime

from booking import rules
from booking.models import Booking, BookingEvent


def new_reference() -> str:
    return "".join(secrets.choice(rules.REFERENCE_ALPHABET) for _ in range(8))


def close_past_bookings(*, numero_etranger: str, now: datetime) -> None:
    """A confirmed appointment whose time has passed is no longer active: it is closed
    as a no-show (agents check in those who came)."""
    past = Booking.objects.filter(
        numero_etranger=numero_etranger,
        status=Booking.Status.CONFIRMED,
        slot__ends_at__lte=now,
    )
    for booking in past.select_for_update():
        booking.status = Booking.Status.NO_SHOW
        booking.save(update_fields=["status", "updated_at"])
        BookingEvent.objects.create(
            booking=booking, kind=BookingEvent.Kind.CLOSED, actor="système"
        )
