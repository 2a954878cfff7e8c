import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise OSError("connection refused")


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses every recipient (the mailbox does not exist)."""

    def send_messages(self, email_messages):
        refused = {
            to: (550, f"5.1.1 <{to}>: Recipient address rejected".encode())
            for message in email_messages
            for to in message.to
        }
        raise smtplib.SMTPRecipientsRefused(refused)
