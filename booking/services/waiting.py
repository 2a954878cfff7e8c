"""The waiting list's writes besides the offers: joining (after the register check),
withdrawing, an agent's priority or removal, and a démarche's mode."""

from datetime import date, datetime

from django.db import IntegrityError, transaction

from booking import availability, rules, selectors
from booking.errors import (
    AlreadyBooked,
    AlreadyWaiting,
    NotCancellable,
    PreferencesTooNarrow,
    RequestNotLive,
)
from booking.models import (
    Booking,
    Procedure,
    Site,
    Slot,
    TitleRecord,
    WaitingEvent,
    WaitingMode,
    WaitingRequest,
)
from booking.services.bookings import APPLICANT, Applicant
from booking.services.locks import advisory_lock
from booking.services.offer_answers import request_close
from booking.services.offers import offers_trigger
from booking.services.waiting_notices import (
    waiting_joined_notices,
    waiting_removed_notice,
)

RStatus = WaitingRequest.Status


def waiting_join(
    *,
    procedure: Procedure,
    applicant: Applicant,
    title_valid_until: date,
    site_ids: list[int],
    unavailable: int,
    now: datetime,
    earlier_than: Booking | None = None,
    by: str = APPLICANT,
) -> WaitingRequest:
    """Puts a person who passed the register check on the démarche's waiting list
    (or, with ``earlier_than``, asks for an earlier place for that appointment), and
    sends them the status link. One live request per numéro étranger; none while the
    numéro has an active appointment (but the one to bring earlier). Raises
    PreferencesTooNarrow, AlreadyWaiting, AlreadyBooked or NotCancellable; writes
    nothing then. ``by`` an agent (a closure's cancelled appointment put on the list):
    the history names them, and the SMS waits for the quiet hours' end."""
    sites = list(Site.objects.filter(pk__in=site_ids, is_active=True))
    if not sites or unavailable & rules.ALL_HALF_DAYS == rules.ALL_HALF_DAYS:
        raise PreferencesTooNarrow
    numero = applicant.numero_etranger
    try:
        with transaction.atomic():
            if earlier_than is not None:
                # The appointment's row before the numéro's lock, as a cancellation
                # takes them (the request's foreign key would lock it after).
                Booking.objects.select_for_update().filter(pk=earlier_than.pk).first()
            advisory_lock("waiting-join", numero)
            live = WaitingRequest.objects.filter(
                numero_etranger=numero, status__in=WaitingRequest.LIVE
            ).first()
            if live is not None:
                raise AlreadyWaiting(live.token)
            active = selectors.booking_get_active(numero_etranger=numero, now=now)
            if earlier_than is None and active is not None:
                raise AlreadyBooked(active.reference)
            if earlier_than is not None and (
                active is None or active.pk != earlier_than.pk
            ):
                raise NotCancellable(earlier_than.reference)
            request = WaitingRequest.objects.create(
                numero_etranger=numero,
                procedure=procedure,
                unavailable_half_days=unavailable & rules.ALL_HALF_DAYS,
                last_name=applicant.last_name,
                first_name=applicant.first_name,
                mobile=applicant.mobile,
                email=applicant.email,
                language=applicant.language,
                for_relative=applicant.for_relative,
                title_valid_until=title_valid_until,
                joined_at=now,
                status_changed_at=now,
                booking=earlier_than,
                wants_earlier=earlier_than is not None,
            )
            request.sites.set(sites)
            WaitingEvent.objects.create(
                request=request,
                kind=WaitingEvent.Kind.JOINED,
                actor=by,
                detail={
                    "sites": [s.pk for s in sites],
                    "unavailable": rules.half_days_codes(unavailable),
                    "earlier_than": earlier_than.pk if earlier_than else None,
                },
            )
            waiting_joined_notices(
                request=request, now=now, by_applicant=by == APPLICANT
            )
            offers_trigger(procedure_id=procedure.slots_procedure_id)
    except IntegrityError as error:  # a concurrent join of the same numéro
        live = WaitingRequest.objects.filter(
            numero_etranger=numero, status__in=WaitingRequest.LIVE
        ).first()
        raise AlreadyWaiting(live.token if live else "") from error
    return request


def title_valid_until_for(numero_etranger: str) -> date | None:
    """The register's validity date of the numéro's title (the urgency of a request
    asked from the manage page)."""
    return (
        TitleRecord.objects.filter(numero_etranger=numero_etranger)
        .values_list("valid_until", flat=True)
        .first()
    )


def _live_locked(request_id: int) -> WaitingRequest:
    request = WaitingRequest.objects.select_for_update().get(pk=request_id)
    if not request.is_live:
        raise RequestNotLive
    return request


def waiting_withdraw(*, request_id: int, now: datetime) -> WaitingRequest:
    """The person leaves the list (an open offer's place goes to the next one).
    Raises RequestNotLive."""
    with transaction.atomic():
        request = _live_locked(request_id)
        WaitingEvent.objects.create(
            request=request, kind=WaitingEvent.Kind.WITHDRAWN, actor=APPLICANT
        )
        if request_close(request, status=RStatus.WITHDRAWN, now=now):
            offers_trigger(procedure_id=request.procedure.slots_procedure_id)
    return request


def waiting_remove(
    *, request_id: int, reason: str, by: str, now: datetime
) -> WaitingRequest:
    """An agent removes a request from the list, with a reason (kept in its trail);
    the person gets an SMS. Raises RequestNotLive."""
    with transaction.atomic():
        request = _live_locked(request_id)
        WaitingEvent.objects.create(
            request=request,
            kind=WaitingEvent.Kind.REMOVED,
            actor=by,
            detail={"reason": reason.strip()[:300]},
        )
        if request_close(request, status=RStatus.REMOVED, now=now):
            offers_trigger(procedure_id=request.procedure.slots_procedure_id)
        waiting_removed_notice(request=request, now=now)
    return request


def waiting_priority_set(
    *, request_id: int, priority: int, reason: str, by: str
) -> WaitingRequest:
    """An agent sets (or clears, 0) a request's priority with a reason; the change is
    kept in its trail. Raises RequestNotLive."""
    with transaction.atomic():
        request = _live_locked(request_id)
        previous = request.priority
        request.priority = WaitingRequest.Priority(priority)
        request.priority_reason = reason.strip()[:300]
        request.save(update_fields=["priority", "priority_reason"])
        WaitingEvent.objects.create(
            request=request,
            kind=WaitingEvent.Kind.PRIORITY,
            actor=by,
            detail={
                "from": previous,
                "to": priority,
                "reason": request.priority_reason,
            },
        )
        offers_trigger(procedure_id=request.procedure.slots_procedure_id)
    return request


def _future_slots(procedure: Procedure, now: datetime):
    return Slot.objects.filter(procedure=procedure, starts_at__gt=now).order_by(
        "starts_at", "pk"
    )


def procedure_waiting_mode_set(
    *, procedure_id: int, mode: str, share: int = 0, now: datetime
) -> Procedure:
    """Sets how the démarche's places are given (direct, liste, mixte with ``share``
    % of each new batch for the list) and applies it to its future slots at once:
    all kept for the list, none, or the share spread across them. Places already
    booked stay booked."""
    mode = WaitingMode(mode)
    share = max(0, min(100, share)) if mode == WaitingMode.MIXED else 0
    with transaction.atomic():
        procedure = Procedure.objects.select_for_update().get(pk=procedure_id)
        procedure.waiting_mode = mode
        procedure.waiting_share = share
        procedure.save(update_fields=["waiting_mode", "waiting_share"])
        future = _future_slots(procedure, now)
        if mode == WaitingMode.MIXED:
            ids = list(future.values_list("pk", flat=True))
            kept = {ids[i] for i in rules.list_share_indices(len(ids), share)}
            future.filter(pk__in=kept).update(via_list=True)
            future.exclude(pk__in=kept).update(via_list=False)
        else:
            future.update(via_list=mode == WaitingMode.LIST)
        availability.changed()
        selectors.procedure_changed(procedure.pk)
        offers_trigger(procedure_id=procedure.pk)
    return procedure
