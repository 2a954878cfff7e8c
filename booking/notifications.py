"""What the applicant is told, and through which channel.

E-mail now; the "carte disponible" SMS pipeline (issue 4) will add the SMS here, behind
the same functions, so the flow does not change."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from booking.manage_links import manage_path
from booking.models import Booking


def booking_confirmed(*, booking_id: int) -> None:
    """Sends the confirmation e-mail at most once, and again only if sending failed."""
    claimed = (
        Booking.objects.filter(pk=booking_id, confirmation_email_sent_at__isnull=True)
        .exclude(email="")
        .update(confirmation_email_sent_at=timezone.now())
    )
    if not claimed:
        return
    booking = Booking.objects.select_related("slot__site", "procedure").get(
        pk=booking_id
    )
    try:
        with translation.override(booking.language):
            context = {
                "booking": booking,
                "manage_url": settings.PUBLIC_BASE_URL + manage_path(booking),
            }
            subject = render_to_string(
                "booking/email/confirmation_subject.txt", context
            )
            body = render_to_string("booking/email/confirmation.txt", context)
        send_mail(" ".join(subject.split()), body, None, [booking.email])
    except Exception:
        # Release the claim so that the task's retry sends it.
        Booking.objects.filter(pk=booking_id).update(confirmation_email_sent_at=None)
        raise
