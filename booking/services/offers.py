"""Offering places to the waiting list, in order of urgency, race-free (the answers:
offer_answers.py).

Locks, always in this order: an appointment being moved earlier, then the slot's row,
then (accepting) the numéro's new booking row, then the request's row, then the
offer's row, then the SMS advisory lock of a mobile. The allocator decides one slot's
free places per transaction under an advisory lock per démarche (two workers never
interleave inside one decision, so a place never goes to a request while a more
urgent compatible one waits without an offer), and skips a slot whose row an
applicant holds right now (SKIP LOCKED: the next run comes back to it)."""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from booking import availability, rules
from booking.models import (
    Booking,
    Hold,
    Procedure,
    Slot,
    WaitingEvent,
    WaitingOffer,
    WaitingRequest,
)
from booking.selectors import free_places, slot_is_closed
from booking.services.locks import advisory_lock
from booking.services.outbox import (
    messages_enqueue,
    publish_after_commit,
)
from booking.services.waiting_notices import waiting_offer_notices

logger = logging.getLogger(__name__)

SYSTEM = "système"
LIST = "liste d'attente"
RStatus = WaitingRequest.Status
OStatus = WaitingOffer.Status


def offers_trigger(*, procedure_id: int) -> None:
    """After the current transaction commits, looks for waiting requests to offer the
    démarche's free places to (a place may have opened). Never raises: the beat's
    sweeper runs every minute anyway."""
    publish_after_commit(make_waiting_offers, (procedure_id,))


def _answer_window(procedure: Procedure) -> dict:
    return {
        "min_notice": timedelta(hours=procedure.min_notice_hours),
        "offer_hours": settings.WAITING_OFFER_HOURS,
        "min_answer": timedelta(minutes=settings.WAITING_OFFER_MIN_MINUTES),
        "quiet_from": settings.SMS_QUIET_FROM,
        "quiet_until": settings.SMS_QUIET_UNTIL,
        "tz": timezone.get_default_timezone(),
    }


def _waiting_for(procedure: Procedure) -> QuerySet[WaitingRequest]:
    """Requests waiting for a place of this démarche's slots (démarches that share
    them included)."""
    sharing = Procedure.objects.filter(booking_procedure_id=procedure.pk)
    ids = [procedure.pk, *sharing.values_list("pk", flat=True)]
    # Plain ids, not a join to the démarche: for one démarche PostgreSQL then walks
    # the urgency index and stops at the first request that fits (0.5 ms instead
    # of sorting every waiting request, 6.5 ms at 2,000).
    return WaitingRequest.objects.filter(procedure_id__in=ids, status=RStatus.WAITING)


def _candidate_slots(
    procedure: Procedure, waiting: QuerySet[WaitingRequest], now: datetime
) -> list[tuple[int, int, datetime]]:
    """The démarche's published slots that a waiting request could take, earliest
    first: inside the window where an offer can still be answered, at a site someone
    waits for, with a free place as counted now (re-counted under the row's lock)."""
    window = _answer_window(procedure)
    earliest = now + window["min_notice"] + window["min_answer"]
    someone_there = waiting.filter(sites=OuterRef("site_id"))
    return list(
        Slot.objects.filter(
            procedure_id=procedure.pk,
            published_at__lte=now,
            starts_at__gte=earliest,
            starts_at__lte=now + timedelta(days=procedure.max_horizon_days),
        )
        .filter(Exists(someone_there))
        .exclude(slot_is_closed())
        # Full slots are left out here: each candidate costs a transaction under
        # the démarche's lock.
        .annotate(
            taken=Coalesce(
                Subquery(_counted(Booking, status=Booking.Status.CONFIRMED)), 0
            )
            + Coalesce(Subquery(_counted(Hold, expires_at__gt=now)), 0)
            + Coalesce(Subquery(_counted(WaitingOffer, status=OStatus.OPEN)), 0)
        )
        .filter(capacity__gt=F("taken"))
        .order_by("starts_at", "pk")
        .values_list("pk", "site_id", "starts_at")
    )


def _counted(model, **conditions) -> QuerySet:
    """The slot's rows of ``model`` meeting ``conditions``, counted (a correlated
    subquery on an indexed column)."""
    return (
        model.objects.filter(slot=OuterRef("pk"), **conditions)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )


def _fitting(
    waiting: QuerySet[WaitingRequest], *, slot_id: int, site_id: int, starts_at
) -> QuerySet[WaitingRequest]:
    """The waiting requests a place fits: its site chosen, its half-day not
    excluded, earlier than the appointment to bring forward, and not offered to
    them before (a place declined or left unanswered is not offered again)."""
    bit = rules.half_day_bit(starts_at, tz=timezone.get_default_timezone())
    return (
        waiting.filter(sites=site_id)
        .filter(Q(wants_earlier=False) | Q(booking__slot__starts_at__gt=starts_at))
        .annotate(clash=F("unavailable_half_days").bitand(bit))
        .filter(clash=0)
        .exclude(
            Exists(WaitingOffer.objects.filter(request=OuterRef("pk"), slot=slot_id))
        )
    )


def _most_urgent(
    waiting: QuerySet[WaitingRequest], slot: Slot, count: int
) -> list[WaitingRequest]:
    """The ``count`` most urgent waiting requests this place fits (agent priority,
    then the title's expiry, then the time of joining), their rows locked. (A row
    that changes while we wait for its lock is checked again by PostgreSQL and
    skipped if no longer waiting.)"""
    found = (
        _fitting(
            waiting, slot_id=slot.pk, site_id=slot.site_id, starts_at=slot.starts_at
        )
        .order_by("-priority", "title_valid_until", "joined_at", "pk")
        .select_for_update(of=("self",))[:count]
    )
    return [request for request in found if request.status == RStatus.WAITING]


def _offer_slot(
    procedure: Procedure,
    waiting: QuerySet[WaitingRequest],
    slot_id: int,
    now: datetime,
    limit: int,
) -> list[WaitingOffer]:
    """The slot's free places (``limit`` at most) offered to the most urgent
    requests it fits, in that order; none if the slot is busy, full, too close or
    fits no one."""
    slot = (
        Slot.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("site")
        .filter(pk=slot_id)
        .annotate(closed=slot_is_closed())
        .first()
    )
    if slot is None or slot.closed:
        return []
    free = free_places(slot, now=now)
    if free <= 0:
        return []
    deadline = rules.decide_offer_deadline(
        now=now, starts_at=slot.starts_at, **_answer_window(procedure)
    )
    if deadline is None or deadline <= now:
        return []
    requests = _most_urgent(waiting, slot, min(free, limit))
    if not requests:
        return []
    # In bulk, in order of urgency (the offers' ids follow it).
    offers = WaitingOffer.objects.bulk_create(
        WaitingOffer(request=r, slot=slot, offered_at=now, expires_at=deadline)
        for r in requests
    )
    WaitingRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
        status=RStatus.OFFERED, status_changed_at=now
    )
    WaitingEvent.objects.bulk_create(
        WaitingEvent(
            request=offer.request,
            kind=WaitingEvent.Kind.OFFERED,
            actor=SYSTEM,
            detail={"slot": slot.pk, "offer": offer.pk},
        )
        for offer in offers
    )
    for request in requests:
        request.status, request.status_changed_at = RStatus.OFFERED, now
    availability.changed()
    return offers


def offers_make(*, procedure_id: int, now: datetime) -> int:
    """Offers the démarche's free places to the waiting list: earliest slot first,
    each free place to the most urgent request it fits (the place is kept for it
    until the offer's deadline), with its SMS and e-mail. One transaction per slot;
    at most WAITING_OFFERS_PER_RUN offers. Returns how many were made."""
    procedure = Procedure.objects.filter(pk=procedure_id).first()
    if procedure is None:
        return 0
    waiting = _waiting_for(procedure)
    if not waiting.exists():
        return 0
    made, message_ids = 0, []
    for slot_id, site_id, starts_at in _candidate_slots(procedure, waiting, now):
        left = settings.WAITING_OFFERS_PER_RUN - made
        if left <= 0:
            break
        fits = _fitting(waiting, slot_id=slot_id, site_id=site_id, starts_at=starts_at)
        if not fits.exists():
            # Read without a lock: a slot no one fits (half-days excluded, declined
            # before) costs one query, not a transaction under the démarche's lock,
            # at every minute's sweep. The decision is taken again under the locks.
            continue
        with transaction.atomic():
            advisory_lock("waiting-offers", str(procedure.pk))
            offers = _offer_slot(procedure, waiting, slot_id, now, left)
            for offer in offers:
                message_ids += waiting_offer_notices(offer=offer, now=now)
        made += len(offers)
        if len(message_ids) >= settings.SMS_BATCH_SIZE:
            # Sent while the next slots are offered, in the outbox's batches.
            messages_enqueue(message_ids)
            message_ids = []
    messages_enqueue(message_ids)
    return made


@shared_task(name="booking.tasks.make_waiting_offers", acks_late=True)
def make_waiting_offers(procedure_id: int) -> int:
    """A place may have opened: offer it to the waiting list."""
    return offers_make(procedure_id=procedure_id, now=timezone.now())
