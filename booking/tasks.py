"""The beat entry points (CELERY_BEAT_SCHEDULE), and nothing else: each calls one
service. The worker tasks live beside the services that enqueue them
(``services/outbox.py``, ``services/notices.py``); nothing imports this module but
Celery's autodiscovery."""

from celery import shared_task
from django.utils import timezone

from booking import services


@shared_task
def sweep_messages() -> int:
    """Every minute: re-enqueues messages that are due, or were lost (broker down at
    commit time, worker killed mid-send)."""
    ids = services.messages_sweep(now=timezone.now())
    services.messages_enqueue(ids)
    return len(ids)


@shared_task
def offer_waiting_places() -> int:
    """Every minute: closes unanswered offers and offers the free places to the
    waiting list (places freed without a trigger: expired holds, publication)."""
    return services.offers_sweep(now=timezone.now())


@shared_task
def resume_imports() -> int:
    """Every minute: the uploaded files whose task was lost (broker down) or whose
    worker died are handed on; previews left unconfirmed a day are abandoned."""
    return services.imports_sweep(now=timezone.now())


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
