"""Every write, by subdomain: appointments, cards, the SMS outbox."""

from booking.services.bookings import (
    APPLICANT,
    Applicant,
    booking_cancel,
    booking_check_in,
    booking_check_in_undo,
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
from booking.services.closures import closure_bookings_cancel, closure_save
from booking.services.holds import hold_place, hold_release
from booking.services.imports import (
    import_job_cancel,
    import_job_confirm,
    import_upload,
    imports_sweep,
)
from booking.services.notices import booking_notice, bookings_remind
from booking.services.offer_answers import (
    offer_accept,
    offer_decline,
    offers_expire,
    offers_sweep,
    offers_withdraw_closed,
)
from booking.services.offers import offers_make
from booking.services.outbox import (
    message_send,
    messages_enqueue,
    messages_retry,
    messages_send,
    messages_sweep,
)
from booking.services.retention import personal_data_purge
from booking.services.slots import slot_save, slots_generate
from booking.services.waiting import (
    procedure_waiting_mode_set,
    waiting_join,
    waiting_priority_set,
    waiting_remove,
    waiting_withdraw,
)

__all__ = [
    "APPLICANT",
    "Applicant",
    "booking_cancel",
    "booking_check_in",
    "booking_check_in_undo",
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
    "closure_bookings_cancel",
    "closure_save",
    "hold_place",
    "hold_release",
    "import_job_cancel",
    "import_job_confirm",
    "import_upload",
    "imports_sweep",
    "message_send",
    "messages_enqueue",
    "messages_retry",
    "messages_send",
    "messages_sweep",
    "offer_accept",
    "offer_decline",
    "offers_expire",
    "offers_make",
    "offers_sweep",
    "offers_withdraw_closed",
    "personal_data_purge",
    "procedure_waiting_mode_set",
    "slot_save",
    "slots_generate",
    "waiting_join",
    "waiting_priority_set",
    "waiting_remove",
    "waiting_withdraw",
]
