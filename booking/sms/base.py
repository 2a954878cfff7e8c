from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Sms:
    reference: str  # our idempotency key: one per (subject, kind)
    to: str  # E.164
    body: str
    kind: str


@dataclass(frozen=True)
class Sent:
    provider_id: str


class SmsTransientError(Exception):
    """Worth retrying later: timeout, connection refused, 5xx, 429."""


class SmsPermanentError(Exception):
    """Retrying will not help: invalid number, refused request."""


class SmsBackend(Protocol):
    def send(self, sms: Sms) -> Sent: ...


BACKENDS = {
    "console": "booking.sms.console.ConsoleBackend",
    "file": "booking.sms.file.FileBackend",
    "locmem": "booking.sms.locmem.LocmemBackend",
    "brevo": "booking.sms.brevo.BrevoBackend",
}


def get_backend() -> SmsBackend:
    """The backend named by SMS_BACKEND (CONTRACT)."""
    return import_string(BACKENDS[settings.SMS_BACKEND])()
