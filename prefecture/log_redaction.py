"""Secrets that travel in a request never reach a log.

Some addresses are their own key: the provider's delivery receipts come to
``/sms/recus/<secret>/`` (Brevo takes the receipts' address per message and sends no
header of ours there), and the links sent to applicants carry a token that lets
whoever holds it act for them (manage a booking, see or leave the waiting list,
accept or decline an offer, and the short forms of those links in the SMS), as
does an agent's single-use enrolment link (``/admin/enrolement/<code>/``). Every log
line that may hold a request line or a Referer (the gunicorn access and error logs,
Django's ``django.request`` and ``django.security`` warnings) goes through
``redact``. Plain Python: gunicorn's logger class imports it before Django is set up.
"""

import logging
import re

REDACTED = "[redacted]"
# The path segment after any of these prefixes, with or without the /en/ prefix:
# booking/urls.py, prefecture/urls.py and the admin site's enrolment link (the
# routes named with <token>, <secret> or <code>).
_SECRET_IN_PATH = re.compile(
    r"(/(?:sms/recus|admin/enrolement|rendez-vous/(?:gerer|liste|offre)|rdv|la|o)/)"
    r"[^/?#\s\"']+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """The text with the secret of any receipts' address or applicant's link
    replaced."""
    return _SECRET_IN_PATH.sub(r"\1" + REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record whose message holds a secret address (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it as usual
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
