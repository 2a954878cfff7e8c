"""Every write, by subdomain: appointments, cards, the SMS outbox."""

from booking.services.bookings import (
    APPLICANT,
    Applicant,
    booking_cancel,
    booking_check_in,
    booking_create,
    booking_flag_numero,
    booking_move,
    booking_update_contact,
)
from booking.services.cards import (
    card_create,
    card_hand_over,
    card_mark_ready,
    card_update_contact,
    cards_remind,
)
from booking.services.holds import hold_place, hold_release
from booking.services.notices import booking_notice, bookings_remind
from booking.services.outbox import (
    message_send,
    messages_enqueue,
    messages_retry,
    messages_send,
    messages_sweep,
)
from booking.services.retention import personal_data_purge
from booking.services.slots import slots_generate

__all__ = [
    "APPLICANT",
    "Applicant",
    "booking_cancel",
    "booking_check_in",
    "booking_create",
    "booking_flag_numero",
    "booking_move",
    "booking_notice",
    "booking_update_contact",
    "bookings_remind",
    "card_create",
    "card_hand_over",
    "card_mark_ready",
    "card_update_contact",
    "cards_remind",
    "hold_place",
    "hold_release",
    "message_send",
    "messages_enqueue",
    "messages_retry",
    "messages_send",
    "messages_sweep",
    "personal_data_purge",
    "slots_generate",
]
