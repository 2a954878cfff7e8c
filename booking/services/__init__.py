"""Every write, by subdomain: appointments, cards, the SMS outbox."""

from booking.services.bookings import (
    APPLICANT,
    Applicant,
    booking_cancel,
    booking_create,
    booking_move,
    hold_place,
)
from booking.services.cards import card_mark_ready
from booking.services.messages import message_send, messages_retry, messages_sweep

__all__ = [
    "APPLICANT",
    "Applicant",
    "booking_cancel",
    "booking_create",
    "booking_move",
    "card_mark_ready",
    "hold_place",
    "message_send",
    "messages_retry",
    "messages_sweep",
]
