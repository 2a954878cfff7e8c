"""Secrets that travel in a request never reach a log.

The provider's delivery receipts come to ``/sms/recus/<secret>/``: Brevo takes the
receipts' address per message (``webUrl``) and sends no header of ours there, so the
secret has to be in the address. Every log line that may hold a request line (the
gunicorn access and error logs, Django's ``django.request`` warnings) goes through
``redact``. Plain Python: gunicorn's logger class imports it before Django is set up.
"""

import logging
import re

REDACTED = "[redacted]"
_WEBHOOK_SECRET = re.compile(r"(/sms/recus/)[^/?#\s\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """The text with the secret of any receipts' address replaced."""
    return _WEBHOOK_SECRET.sub(r"\1" + REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record whose message holds a receipts' address (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it as usual
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
