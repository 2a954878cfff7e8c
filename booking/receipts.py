"""Delivery receipts from the SMS provider: idempotent, order-proof."""

from datetime import datetime

from booking.models import OutgoingMessage

Status = OutgoingMessage.Status
DELIVERED = {"delivered"}
UNDELIVERED = {"soft_bounce", "hard_bounce", "softbounce", "hardbounce", "rejected",
               "blocked", "undelivered", "error"}  # fmt: skip


class UnknownMessage(LookupError):
    """No message of ours has this provider id."""


def receipt_apply(*, provider_id: str, provider_status: str, now: datetime) -> str:
    """Applies one receipt: "delivered" is final (a late or repeated receipt changes
    nothing), a bounce marks the message undelivered unless it was delivered;
    intermediate statuses (sent, accepted) change nothing. Returns the new status."""
    messages = OutgoingMessage.objects.filter(provider_id=provider_id)
    if not provider_id or not messages.exists():
        raise UnknownMessage(provider_id)
    status = provider_status.strip().lower()
    if status in DELIVERED:
        messages.exclude(status=Status.DELIVERED).update(
            status=Status.DELIVERED, delivered_at=now
        )
    elif status in UNDELIVERED:
        messages.exclude(status=Status.DELIVERED).update(
            status=Status.UNDELIVERED, last_error=f"receipt: {status}"[:300]
        )
    return messages.values_list("status", flat=True).get()
