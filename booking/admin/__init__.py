"""The agents' face: one module per desk. Importing them registers their ModelAdmins
(Django's autodiscovery imports this package)."""

from booking.admin import appointments, cards, outbox, reference, waiting

__all__ = ["appointments", "cards", "outbox", "reference", "waiting"]
