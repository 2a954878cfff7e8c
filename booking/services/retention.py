"""GDPR retention as code: personal data is removed on a schedule (daily beat task);
what remains (démarche, date, status) feeds the statistics."""

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import transaction

from booking.models import (
    Booking,
    BookingEvent,
    Card,
    CardEvent,
    ImportJob,
    OutgoingMessage,
    WaitingEvent,
    WaitingRequest,
)

logger = logging.getLogger(__name__)

SYSTEM = "système"  # the actor of what the purge writes in a trail


@dataclass
class PurgeReport:
    bookings_anonymised: int = 0
    waiting_requests_anonymised: int = 0
    card_mobiles_removed: int = 0
    sms_anonymised: int = 0
    events_deleted: int = 0
    history_deleted: int = 0
    login_logs_deleted: int = 0
    import_jobs_deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _months(count: int) -> timedelta:
    return timedelta(days=30 * count)


@transaction.atomic
def personal_data_purge(*, now: datetime) -> PurgeReport:
    """Anonymises appointments BOOKING_RETENTION_MONTHS after their date and waiting
    requests as long after they left the list, removes card mobiles
    CARD_MOBILE_RETENTION_DAYS after handover, anonymises SMS after
    SMS_RETENTION_MONTHS, deletes audit events (but a live request's), history and
    agents' login logs after AUDIT_RETENTION_MONTHS, and uploaded files' jobs after
    IMPORT_RETENTION_DAYS. Logs counts only."""
    report = PurgeReport()
    old_bookings = Booking.objects.filter(
        slot__ends_at__lt=now - _months(settings.BOOKING_RETENTION_MONTHS)
    ).exclude(numero_etranger="", last_name="", mobile="")
    old_ids = list(old_bookings.values_list("pk", flat=True))
    # Long past and never checked in: closed, so that the "one active booking per
    # numéro" index does not see several empty numéros.
    Booking.objects.filter(pk__in=old_ids, status=Booking.Status.CONFIRMED).update(
        status=Booking.Status.NO_SHOW
    )
    report.bookings_anonymised = Booking.objects.filter(pk__in=old_ids).update(
        numero_etranger="", last_name="", first_name="", mobile="", email=""
    )
    report.history_deleted += Booking.history.filter(id__in=old_ids).delete()[0]
    report.waiting_requests_anonymised, waiting_sms = _waiting_requests_anonymise(
        left_before=now - _months(settings.BOOKING_RETENTION_MONTHS), now=now
    )
    report.card_mobiles_removed = (
        Card.objects.filter(
            status=Card.Status.HANDED_OVER,
            handed_over_at__lt=now
            - timedelta(days=settings.CARD_MOBILE_RETENTION_DAYS),
        )
        .exclude(mobile="")
        .update(mobile="", last_name="", first_name="")
    )
    report.history_deleted += Card.history.filter(
        status=Card.Status.HANDED_OVER,
        history_date__lt=now - timedelta(days=settings.CARD_MOBILE_RETENTION_DAYS),
    ).delete()[0]
    report.sms_anonymised = (
        OutgoingMessage.objects.filter(
            created_at__lt=now - _months(settings.SMS_RETENTION_MONTHS)
        )
        .exclude(to="", body="")
        .update(to="", body="")
    ) + waiting_sms
    audit_limit = now - _months(settings.AUDIT_RETENTION_MONTHS)
    report.events_deleted = (
        BookingEvent.objects.filter(at__lt=audit_limit).delete()[0]
        + CardEvent.objects.filter(at__lt=audit_limit).delete()[0]
        # A request still on the list keeps its trail (its priority's reason, the
        # offers it missed): agents act on it.
        + WaitingEvent.objects.filter(at__lt=audit_limit)
        .exclude(request__status__in=WaitingRequest.LIVE)
        .delete()[0]
    )
    # Agents' login attempts (django-axes: username, address, browser).
    report.login_logs_deleted = sum(
        model.objects.filter(attempt_time__lt=audit_limit).delete()[0]
        for model in (AccessAttempt, AccessFailureLog, AccessLog)
    )
    # Uploaded files: emptied when their job ends (services.imports); the jobs
    # themselves (file name, counts, refused lines' reasons) go after a while.
    report.import_jobs_deleted = ImportJob.objects.filter(
        created_at__lt=now - timedelta(days=settings.IMPORT_RETENTION_DAYS)
    ).delete()[0]
    logger.info("personal data purge: %s", report.as_dict())
    return report


def _waiting_requests_anonymise(
    *, left_before: datetime, now: datetime
) -> tuple[int, int]:
    """Requests that left the list (booked, withdrawn, out after missed offers,
    removed) before ``left_before``: the person's numéro, names and contact
    emptied, the reasons and details of their trail too (an ANONYMISED event
    added), their messages' numbers and texts. Live requests are never touched.
    Returns the requests and the messages anonymised."""
    gone = [
        status for status in WaitingRequest.Status if status not in WaitingRequest.LIVE
    ]
    ids = list(
        WaitingRequest.objects.filter(
            status__in=gone,
            status_changed_at__lt=left_before,
            anonymised_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    if not ids:
        return 0, 0
    count = WaitingRequest.objects.filter(pk__in=ids).update(
        numero_etranger="",
        last_name="",
        first_name="",
        mobile="",
        email="",
        priority_reason="",
        anonymised_at=now,
    )
    WaitingEvent.objects.filter(request_id__in=ids).update(detail={})
    WaitingEvent.objects.bulk_create(
        WaitingEvent(request_id=pk, kind=WaitingEvent.Kind.ANONYMISED, actor=SYSTEM)
        for pk in ids
    )
    messages = (
        OutgoingMessage.objects.filter(waiting_request_id__in=ids)
        .exclude(to="", body="")
        .update(to="", body="")
    )
    return count, messages
