"""The only code that sends e-mail: the appointment confirmation, rendered when it is
sent (in the booking's language), through Django's mailer. Like ``sms/``, it raises
``EmailTransientError`` (retry later) or ``EmailPermanentError`` (record, do not retry);
their text never holds the address."""

import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from booking.manage_links import manage_path
from booking.models import Booking


class EmailTransientError(Exception):
    """The mail server could not be reached or refused for now: try again later."""


class EmailPermanentError(Exception):
    """The mail server will never take this message (recipient refused)."""


def confirmation_render(booking: Booking) -> tuple[str, str]:
    """The confirmation e-mail's subject and body, in the booking's language."""
    with translation.override(booking.language):
        context = {
            "booking": booking,
            "manage_url": settings.PUBLIC_BASE_URL + manage_path(booking),
        }
        subject = render_to_string("booking/email/confirmation_subject.txt", context)
        body = render_to_string("booking/email/confirmation.txt", context)
    return " ".join(subject.split()), body


def confirmation_send(*, booking_id: int, to: str) -> None:
    """Sends the booking's confirmation e-mail to ``to``. Raises EmailTransientError
    or EmailPermanentError."""
    booking = Booking.objects.select_related("slot__site", "procedure").get(
        pk=booking_id
    )
    subject, body = confirmation_render(booking)
    try:
        send_mail(subject, body, None, [to])
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({code for code, _ in error.recipients.values()})
        raise EmailPermanentError(f"recipient refused (SMTP {codes})") from error
    except smtplib.SMTPResponseException as error:
        # The server's own words may quote the addresses: only its code is kept.
        raise EmailTransientError(
            f"{type(error).__name__} (SMTP {error.smtp_code})"
        ) from error
    except (OSError, smtplib.SMTPException) as error:
        raise EmailTransientError(f"{type(error).__name__}: {error}"[:200]) from error
