from celery import shared_task

from booking import notifications


@shared_task(
    autoretry_for=(OSError,), retry_backoff=30, retry_jitter=True, max_retries=8
)
def send_booking_confirmation(booking_id: int) -> None:
    """Tells the applicant their appointment is booked (e-mail now; SMS: issue 4)."""
    notifications.booking_confirmed(booking_id=booking_id)
