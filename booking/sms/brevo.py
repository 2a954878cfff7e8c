"""Brevo transactional SMS, over plain HTTP as its public API documents it:
POST /v3/transactionalSMS/send with an ``api-key`` header; 201 {"messageId": …};
errors {"code", "message"}; 429 when rate-limited. Brevo has no idempotency key for
SMS: our reference travels in ``tag`` so a duplicate can be traced."""

import functools
import os

import requests
from django.conf import settings
from django.urls import reverse

from booking.sms.base import Sent, Sms, SmsPermanentError, SmsTransientError

TIMEOUT = (5, 15)  # connect, read (seconds)


@functools.cache
def _session(pid: int) -> requests.Session:
    """One keep-alive session per process (never shared across a fork): a new TLS
    connection for each SMS would cost more than the SMS itself at volume."""
    return requests.Session()


def receipts_url() -> str:
    return settings.PUBLIC_BASE_URL + reverse(
        "sms_receipt", kwargs={"secret": settings.SMS_WEBHOOK_SECRET}
    )


def _reason(response: requests.Response) -> str:
    try:
        error = response.json()
        return (
            f"HTTP {response.status_code} {error.get('code')}: {error.get('message')}"
        )
    except ValueError:
        return f"HTTP {response.status_code}"


class BrevoBackend:
    def send(self, sms: Sms) -> Sent:
        payload = {
            "sender": settings.SMS_SENDER,
            "recipient": sms.to.removeprefix("+"),
            "content": sms.body,
            "type": "transactional",
            "tag": ["prefecture-loiret", sms.reference],
            "unicodeEnabled": False,
        }
        if settings.SMS_WEBHOOK_SECRET:
            payload["webUrl"] = receipts_url()
        try:
            response = _session(os.getpid()).post(
                settings.BREVO_API_URL,
                json=payload,
                headers={
                    "api-key": settings.BREVO_API_KEY,
                    "accept": "application/json",
                },
                timeout=TIMEOUT,
            )
        except requests.RequestException as error:  # timeout, refused, reset
            raise SmsTransientError(type(error).__name__) from error
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsTransientError(_reason(response))
        if not response.ok:
            raise SmsPermanentError(_reason(response))
        try:
            return Sent(provider_id=str(response.json()["messageId"]))
        except (ValueError, KeyError, TypeError) as error:
            # Accepted, but the answer is unreadable: do not send it again.
            raise SmsPermanentError(f"unreadable answer: {error}") from error
