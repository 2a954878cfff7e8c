import sys

from booking.phone import masked
from booking.sms.base import Sent, Sms


class ConsoleBackend:
    """Development: prints the SMS (number masked) on the console."""

    def send(self, sms: Sms) -> Sent:
        sys.stdout.write(f"[SMS {sms.kind} to {masked(sms.to)}] {sms.body}\n")
        sys.stdout.flush()
        return Sent(provider_id=f"console-{sms.reference}")
