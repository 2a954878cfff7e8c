from booking.sms.base import Sent, Sms

outbox: list[Sms] = []


class LocmemBackend:
    """Tests: keeps the SMS in memory (``booking.sms.locmem.outbox``)."""

    def send(self, sms: Sms) -> Sent:
        outbox.append(sms)
        return Sent(provider_id=f"locmem-{len(outbox)}")
