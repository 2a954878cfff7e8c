"""What a person on the waiting list is told: joined (with the status link), a place
offered (with its accept link), out of the list after missed offers, removed by an
agent, and the status page's one-time code. Written to the outbox inside the
caller's transaction, sent by the outbox's worker; an SMS only to SMS_ALLOWED_REGIONS
(recorded refused otherwise), the e-mail when the person gave an address."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from booking.models import OutgoingMessage, WaitingOffer, WaitingRequest
from booking.phone import is_in_regions, region_of
from booking.services.locks import advisory_lock
from booking.services.outbox import (
    enqueue_after_commit,
    first_sending_time,
    offer_message_key,
)
from booking.sms import texts
from booking.waiting_links import short_offer_url, short_status_url

Kind = OutgoingMessage.Kind
Status = OutgoingMessage.Status

# The SMS a person's own actions cause (joining, asking for a code): counted toward
# SMS_PER_MOBILE_PER_DAY with the appointment SMS, against SMS pumping.
APPLICANT_CAUSED = (Kind.WAITING_JOINED, Kind.WAITING_CODE)


def _refusal(request: WaitingRequest, kind: str, now: datetime) -> str:
    if not is_in_regions(request.mobile, settings.SMS_ALLOWED_REGIONS):
        region = region_of(request.mobile) or "unknown"
        return f"not sent: region {region} outside SMS_ALLOWED_REGIONS"
    if kind not in APPLICANT_CAUSED:
        return ""
    tz = timezone.get_default_timezone()
    day = timezone.localtime(now, tz).date()
    today = (
        OutgoingMessage.objects.filter(
            channel=OutgoingMessage.Channel.SMS,
            to=request.mobile,
            created_at__gte=datetime.combine(day, time.min, tzinfo=tz),
            created_at__lt=datetime.combine(
                day + timedelta(days=1), time.min, tzinfo=tz
            ),
        )
        .exclude(status=Status.REFUSED)
        .count()
    )
    cap = settings.SMS_PER_MOBILE_PER_DAY
    if today >= cap:
        return f"not sent: {cap} SMS to this number today (SMS_PER_MOBILE_PER_DAY)"
    return ""


def _write(
    *,
    request: WaitingRequest,
    kind: str,
    key: str,
    body: str,
    now: datetime,
    channel: str = OutgoingMessage.Channel.SMS,
    by_applicant: bool | None = None,
) -> OutgoingMessage | None:
    """One outbox row (inside the caller's transaction); None when the key was
    already written or the SMS is recorded refused. ``by_applicant`` says whether
    the person just asked for it (else: whether its kind is APPLICANT_CAUSED)."""
    if by_applicant is None:
        by_applicant = kind in APPLICANT_CAUSED
    if channel == OutgoingMessage.Channel.SMS:
        advisory_lock("sms-to", request.mobile)
        refusal = _refusal(request, kind, now)
        to = request.mobile
        # What the person just asked for goes now; the rest waits for the quiet
        # hours' end (the offer's answer window starts then).
        send_after = now if by_applicant else first_sending_time(now)
    else:
        refusal, to, send_after = "", request.email, now
    try:
        with transaction.atomic():
            message = OutgoingMessage.objects.create(
                idempotency_key=key,
                kind=kind,
                channel=channel,
                waiting_request=request,
                to=to,
                body=body,
                send_after=send_after,
                status=Status.REFUSED if refusal else Status.PENDING,
                last_error=refusal,
            )
    except IntegrityError:  # written already: never twice
        return None
    return message if message.status == Status.PENDING else None


def _enqueue(messages: list[OutgoingMessage | None], now: datetime) -> None:
    due = [m.pk for m in messages if m is not None and m.send_after <= now]
    if due:
        enqueue_after_commit(due)


def _email(request: WaitingRequest, kind: str, key: str, now: datetime, body=""):
    if not request.email:
        return None
    return _write(
        request=request,
        kind=kind,
        key=key,
        body=body,
        now=now,
        channel=OutgoingMessage.Channel.EMAIL,
    )


def waiting_joined_notices(
    *, request: WaitingRequest, now: datetime, by_applicant: bool = True
) -> None:
    """The SMS and e-mail that confirm joining, with the status link; when an agent
    put the person on the list, the SMS waits for the quiet hours' end."""
    key = f"waiting:{request.pk}:joined"
    sms = _write(
        request=request,
        kind=Kind.WAITING_JOINED,
        key=key,
        body=texts.waiting_joined(
            language=request.language, url=short_status_url(request)
        ),
        now=now,
        by_applicant=by_applicant,
    )
    email = _email(request, Kind.WAITING_JOINED_EMAIL, key + ":email", now)
    _enqueue([sms, email], now)


def waiting_offer_notices(*, offer: WaitingOffer, now: datetime) -> list[int]:
    """The offer's SMS (kind waiting_offer, with the accept link) and e-mail; returns
    the ids to enqueue (the allocator publishes a run's messages in batches)."""
    request = offer.request
    key = offer_message_key(request.pk, offer.pk)
    sms = _write(
        request=request,
        kind=Kind.WAITING_OFFER,
        key=key,
        body=texts.waiting_offer(
            site=offer.slot.site.short_name,
            starts_at=offer.slot.starts_at,
            deadline=offer.expires_at,
            language=request.language,
            url=short_offer_url(offer),
        ),
        now=now,
    )
    email = _email(request, Kind.WAITING_OFFER_EMAIL, key + ":email", now)
    return [m.pk for m in (sms, email) if m is not None and m.send_after <= now]


def waiting_left_notice(*, request: WaitingRequest, now: datetime) -> None:
    """Out of the list after WAITING_MAX_MISSED offers without a yes."""
    with translation.override(request.language):  # /en/rendez-vous/ in English
        url = settings.PUBLIC_BASE_URL + reverse("booking:start")
    sms = _write(
        request=request,
        kind=Kind.WAITING_LEFT,
        key=f"waiting:{request.pk}:left",
        body=texts.waiting_left(
            language=request.language, missed=request.missed_offers, url=url
        ),
        now=now,
    )
    _enqueue([sms], now)


def waiting_removed_notice(*, request: WaitingRequest, now: datetime) -> None:
    """Removed from the list by an agent."""
    sms = _write(
        request=request,
        kind=Kind.WAITING_REMOVED,
        key=f"waiting:{request.pk}:removed",
        body=texts.waiting_removed(language=request.language),
        now=now,
    )
    _enqueue([sms], now)


def waiting_code_notice(*, request_id: int, code: str, now: datetime) -> str:
    """The status page's one-time code, by SMS to the request's mobile, or by e-mail
    when the mobile gets no SMS, at most BOOKING_MANAGE_CODES_PER_DAY a day (the
    request's row locked while counting). Returns the channel used, "" when nothing
    was written (over the limit, not live, or no way to reach the person)."""
    with transaction.atomic():
        request = WaitingRequest.objects.select_for_update().get(pk=request_id)
        if not request.is_live:
            return ""
        by_sms = is_in_regions(request.mobile, settings.SMS_ALLOWED_REGIONS)
        if not by_sms and not request.email:
            return ""
        day_start = timezone.localtime(now).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        count = request.messages.filter(
            kind__in=[Kind.WAITING_CODE, Kind.WAITING_CODE_EMAIL],
            created_at__gte=day_start,
        ).count()
        if count >= settings.BOOKING_MANAGE_CODES_PER_DAY:
            return ""
        day = timezone.localtime(now).strftime("%Y%m%d")
        key = f"waiting:{request.pk}:code:{day}:{count + 1}"
        if by_sms:
            message = _write(
                request=request,
                kind=Kind.WAITING_CODE,
                key=key,
                body=texts.waiting_code(
                    code=code,
                    minutes=settings.BOOKING_MANAGE_CODE_MINUTES,
                    language=request.language,
                ),
                now=now,
            )
        else:
            message = _email(request, Kind.WAITING_CODE_EMAIL, key, now, body=code)
        if message is None:
            return ""
        enqueue_after_commit([message.pk])
        return message.channel
