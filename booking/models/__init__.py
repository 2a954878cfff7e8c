from booking.models.appointments import (
    Booking,
    BookingEvent,
    Hold,
    Procedure,
    Site,
    Slot,
    TitleRecord,
    WaitingMode,
)
from booking.models.cards import Card, CardEvent
from booking.models.imports import ImportJob
from booking.models.messages import OutgoingMessage
from booking.models.schedules import ClosureDay, OpeningSchedule
from booking.models.waiting import WaitingEvent, WaitingOffer, WaitingRequest

__all__ = [
    "Booking",
    "BookingEvent",
    "Card",
    "CardEvent",
    "ClosureDay",
    "Hold",
    "ImportJob",
    "OpeningSchedule",
    "OutgoingMessage",
    "Procedure",
    "Site",
    "Slot",
    "TitleRecord",
    "WaitingEvent",
    "WaitingMode",
    "WaitingOffer",
    "WaitingRequest",
]
