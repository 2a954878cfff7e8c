from celery import shared_task
from django.utils import timezone

from booking import notifications, services


@shared_task(
    autoretry_for=(OSError,), retry_backoff=30, retry_jitter=True, max_retries=8
)
def send_booking_confirmation(booking_id: int) -> None:
    """Tells the applicant their appointment is booked (e-mail)."""
    notifications.booking_confirmed(booking_id=booking_id)


@shared_task(acks_late=True)
def send_sms_batch(message_ids: list[int]) -> None:
    """Sends outbox messages (SMS_BATCH_SIZE at most); retries are scheduled in the
    database (send_after) and picked up by the sweeper, never as long Celery ETAs."""
    services.messages_send(message_ids=message_ids, now=timezone.now())


@shared_task(acks_late=True)
def send_sms(message_id: int) -> None:
    """One message: tasks queued by an earlier release still find their consumer."""
    services.message_send(message_id=message_id, now=timezone.now())


@shared_task
def sweep_messages() -> int:
    """Every minute: re-enqueues messages that are due, or were lost (broker down at
    commit time, worker killed mid-send)."""
    ids = services.messages_sweep(now=timezone.now())
    services.messages_enqueue(ids)
    return len(ids)


@shared_task
def send_reminders() -> int:
    """Hourly: the 48-hour appointment reminders and the card collection reminders."""
    now = timezone.now()
    return services.bookings_remind(now=now) + services.cards_remind(now=now)


@shared_task
def generate_slots() -> int:
    """Daily: opens the slots of the schedules up to the booking horizon."""
    return services.slots_generate(now=timezone.now()).created


@shared_task
def purge_personal_data() -> dict[str, int]:
    """Daily: GDPR retention (counts only in the result and the logs)."""
    return services.personal_data_purge(now=timezone.now()).as_dict()
