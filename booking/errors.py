"""Domain errors: services raise them, views and the admin turn them into messages."""


class BookingError(Exception):
    """Base class of every refusal the booking rules can give."""


class SlotFull(BookingError):
    """No place is left on this slot (taken, or held by someone else)."""


class SlotNotBookable(BookingError):
    """The slot does not exist for this démarche, or is outside the booking window."""


class AlreadyBooked(BookingError):
    """This numéro étranger already has an active appointment."""

    def __init__(self, reference: str = ""):
        super().__init__(reference)
        self.reference = reference


class HoldExpired(BookingError):
    """The place kept for the applicant was released, and taken since."""


class TooManyHolds(BookingError):
    """Too many places are held right now from this client's address."""


class TooLate(BookingError):
    """The appointment is too close to be cancelled or moved online."""


class NotCancellable(BookingError):
    """The appointment is not active any more (cancelled, past, honoured)."""


class MoveLimitReached(BookingError):
    """The appointment was already moved BOOKING_MAX_MOVES times online."""

    def __init__(self, reference: str = ""):
        super().__init__(reference)
        self.reference = reference


class HandoverRefused(BookingError):
    """The card cannot be handed over now; ``reason`` says why, in the agent's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ImportJobClosed(BookingError):
    """The uploaded file's job is not waiting for the agent's decision any more
    (confirmed already, abandoned, expired); ``status`` says what it is."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


class IdentityMismatch(BookingError):
    """No title in the register has this numéro étranger, validity date and postal
    code (which detail was wrong is never said)."""


class SecondFactorMismatch(BookingError):
    """The digits typed are not the last four of the appointment's numéro étranger."""


class TooManyAttempts(BookingError):
    """Too many failed attempts lately; ``wait_seconds`` until the next is heard."""

    def __init__(self, wait_seconds: int):
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


class WaitingError(BookingError):
    """Base class of the waiting list's refusals."""


class AlreadyWaiting(WaitingError):
    """This numéro étranger already has a live request on the waiting list."""

    def __init__(self, status_token: str = ""):
        super().__init__()
        self.status_token = status_token


class PreferencesTooNarrow(WaitingError):
    """The preferences exclude every site or every half-day."""


class OfferClosed(WaitingError):
    """The offer was already answered, withdrawn or has expired; ``status`` says
    which."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


class RequestNotLive(WaitingError):
    """The request has left the list (booked, withdrawn, expired or removed)."""


class CheckInRefused(BookingError):
    """The present or absent cannot be recorded or undone now; ``reason`` says why,
    in the agent's words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class CheckInTooEarly(CheckInRefused):
    """Present before the appointment's day, or absent before it has ended."""


class CheckInUndoRefused(CheckInRefused):
    """Nothing to undo: no present or absent, or recorded another day."""
