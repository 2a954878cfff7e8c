"""The only code that talks to an SMS provider, behind one small interface."""

from booking.sms.base import (
    Sent,
    Sms,
    SmsBackend,
    SmsPermanentError,
    SmsTransientError,
    get_backend,
)

__all__ = [
    "Sent",
    "Sms",
    "SmsBackend",
    "SmsPermanentError",
    "SmsTransientError",
    "get_backend",
]
