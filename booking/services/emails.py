"""The only code that sends e-mail: the appointment confirmation, and the manage link
and one-time code of a booking whose mobile gets no SMS, rendered when sent (in the
booking's language), through Django's mailer. Like ``sms/``, it raises
``EmailTransientError`` (retry later) or ``EmailPermanentError`` (record, do not retry);
their text never holds the address."""

import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from booking.manage_links import manage_url
from booking.models import Booking, OutgoingMessage, WaitingRequest
from booking.waiting_links import offer_url, status_url


class EmailTransientError(Exception):
    """The mail server could not be reached or refused for now: try again later."""


class EmailPermanentError(Exception):
    """The mail server will never take this message (recipient refused)."""


Kind = OutgoingMessage.Kind
# Each e-mail kind's templates: booking/email/<name>.txt and <name>_subject.txt.
TEMPLATES = {
    Kind.BOOKING_CONFIRMED_EMAIL: "confirmation",
    Kind.BOOKING_MOVED_EMAIL: "moved",
    Kind.BOOKING_LINK_RESENT_EMAIL: "link_resent",
    Kind.BOOKING_MANAGE_CODE_EMAIL: "manage_code",
}
# The waiting list's e-mails: booking/email/<name>.txt and <name>_subject.txt.
WAITING_TEMPLATES = {
    Kind.WAITING_JOINED_EMAIL: "waiting_joined",
    Kind.WAITING_OFFER_EMAIL: "waiting_offer",
    Kind.WAITING_CODE_EMAIL: "waiting_code",
}


def booking_email_render(
    *, booking: Booking, kind: str, code: str = ""
) -> tuple[str, str]:
    """The subject and body of one of the booking's e-mails (``kind``), in the
    booking's language; ``code`` is the one-time code of a code e-mail."""
    name = TEMPLATES[Kind(kind)]
    with translation.override(booking.language):
        context = {
            "booking": booking,
            "manage_url": manage_url(booking),
            "code": code,
            "minutes": settings.BOOKING_MANAGE_CODE_MINUTES,
        }
        subject = render_to_string(f"booking/email/{name}_subject.txt", context)
        body = render_to_string(f"booking/email/{name}.txt", context)
    return " ".join(subject.split()), body


def confirmation_render(booking: Booking) -> tuple[str, str]:
    """The confirmation e-mail's subject and body, in the booking's language."""
    return booking_email_render(booking=booking, kind=Kind.BOOKING_CONFIRMED_EMAIL)


def booking_email_send(*, booking_id: int, kind: str, to: str, code: str = "") -> None:
    """Sends one of the booking's e-mails (``kind``: see TEMPLATES) to ``to``. Raises
    EmailTransientError or EmailPermanentError (never quoting the address or the
    code)."""
    if kind not in TEMPLATES:
        raise EmailPermanentError(f"no e-mail of kind {kind}"[:100])
    booking = Booking.objects.select_related("slot__site", "procedure").get(
        pk=booking_id
    )
    subject, body = booking_email_render(booking=booking, kind=kind, code=code)
    _send(subject, body, to)


def waiting_email_render(
    *, request: WaitingRequest, kind: str, code: str = ""
) -> tuple[str, str]:
    """The subject and body of one of the waiting list's e-mails, in the request's
    language: the status link, or the place offered (its latest open offer)."""
    name = WAITING_TEMPLATES[Kind(kind)]
    offer = request.offers.select_related("slot__site").order_by("-pk").first()
    with translation.override(request.language):
        context = {
            "request": request,
            "offer": offer,
            "status_url": status_url(request),
            "offer_url": offer_url(offer) if offer else "",
            "code": code,
            "minutes": settings.BOOKING_MANAGE_CODE_MINUTES,
        }
        subject = render_to_string(f"booking/email/{name}_subject.txt", context)
        body = render_to_string(f"booking/email/{name}.txt", context)
    return " ".join(subject.split()), body


def waiting_email_send(*, request_id: int, kind: str, to: str, code: str = "") -> None:
    """Sends one of the waiting list's e-mails (see WAITING_TEMPLATES); raises as
    booking_email_send."""
    if kind not in WAITING_TEMPLATES:
        raise EmailPermanentError(f"no e-mail of kind {kind}"[:100])
    request = WaitingRequest.objects.select_related("procedure").get(pk=request_id)
    subject, body = waiting_email_render(request=request, kind=kind, code=code)
    _send(subject, body, to)


def _send(subject: str, body: str, to: str) -> None:
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
