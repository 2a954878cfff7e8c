from booking.models.appointments import (
    Booking,
    BookingEvent,
    Hold,
    Procedure,
    Site,
    Slot,
    TitleRecord,
)
from booking.models.cards import Card, CardEvent, ClosureDay
from booking.models.messages import OutgoingMessage

__all__ = [
    "Booking",
    "BookingEvent",
    "Card",
    "CardEvent",
    "ClosureDay",
    "Hold",
    "OutgoingMessage",
    "Procedure",
    "Site",
    "Slot",
    "TitleRecord",
]
