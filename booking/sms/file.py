import fcntl
import json

from django.conf import settings
from django.utils import timezone

from booking.sms.base import Sent, Sms


class FileBackend:
    """Appends each SMS as one JSON line to SMS_FILE_PATH (CONTRACT format)."""

    def send(self, sms: Sms) -> Sent:
        line = json.dumps(
            {
                "id": sms.reference,
                "to": sms.to,
                "body": sms.body,
                "kind": sms.kind,
                "sent_at": timezone.now().isoformat(),
            },
            ensure_ascii=False,
        )
        with open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as out:
            # Several workers may append at once: one whole line each.
            fcntl.flock(out, fcntl.LOCK_EX)
            try:
                out.write(line + "\n")
            finally:
                fcntl.flock(out, fcntl.LOCK_UN)
        return Sent(provider_id=f"file-{sms.reference}")
