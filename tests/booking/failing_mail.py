from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise OSError("connection refused")
