from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions() -> None:
    """Deletes expired sessions: they may hold an applicant's booking state (GDPR)."""
    call_command("clearsessions")
