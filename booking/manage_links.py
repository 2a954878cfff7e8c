"""The signed link that lets an applicant manage their appointment."""

from django.core import signing
from django.urls import reverse

from booking.models import Booking

SALT = "booking.manage"


def manage_token(booking: Booking) -> str:
    return signing.dumps({"b": booking.pk, "r": booking.reference}, salt=SALT)


def manage_path(booking: Booking) -> str:
    return reverse("booking:manage", kwargs={"token": manage_token(booking)})


def booking_from_token(token: str) -> Booking | None:
    """The booking a link points to; None when the link was forged or altered."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    return (
        Booking.objects.select_related("slot__site", "procedure")
        .filter(pk=payload.get("b") or 0, reference=str(payload.get("r")))
        .first()
    )
