"""An offer's page, reached from the short link of its SMS: the place, its deadline,
accept or decline (each a POST; a GET changes nothing). No second factor: the link
goes only to the person's own phone and e-mail, is single-use and expires; so the
page shows no name, numéro or reference. Accepting shows the booking's own
confirmation page."""

from contextlib import suppress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from booking import selectors, services
from booking.errors import (
    AlreadyBooked,
    NotCancellable,
    OfferClosed,
    SlotFull,
    TooManyAttempts,
)
from booking.models import WaitingOffer, WaitingRequest
from booking.services.identity import offer_link_lookup
from booking.views.managing import _link_refused
from booking.views.waiting import _existing_booking, _how
from booking.waiting_links import offer_path
from booking.web.network import client_ip
from booking.web.pages import form_page, read_page

RStatus = WaitingRequest.Status
OStatus = WaitingOffer.Status


@form_page
def offer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = offer_link_lookup(token=token, client_ip=client_ip(request))
    except TooManyAttempts as refused:
        return _link_refused(request, refused.wait_seconds, waiting_list=True)
    if found is None:
        return _link_refused(request, waiting_list=True)
    now = timezone.now()
    if found.status == OStatus.OPEN and selectors.slot_closed(slot_id=found.slot_id):
        # A closure since the offer, before the minute's sweep withdrew it.
        services.offers_withdraw_closed(now=now)
        found.refresh_from_db()
    if found.status != OStatus.OPEN or found.expires_at <= now:
        return _offer_closed(request, found)
    answer = request.POST.get("answer") if request.method == "POST" else None
    if answer == "accept":
        try:
            accepted = services.offer_accept(offer_id=found.pk, now=now)
        except (OfferClosed, SlotFull):
            found.refresh_from_db()
            return _offer_closed(request, found)
        except AlreadyBooked as already:
            return _existing_booking(request, already.reference)
        except NotCancellable:  # the appointment to bring earlier is gone
            return _offer_closed(request, found, booking_gone=True)
        request.session["booked"] = accepted.booking.reference
        if accepted.moved:
            request.session["booked_moved"] = accepted.booking.reference
        return redirect("booking:done")
    if answer == "decline":
        if request.POST.get("confirm") != "1":
            return render(
                request, "booking/waiting_decline.html", _offer_context(found)
            )
        with suppress(OfferClosed):  # answered meanwhile: the page says how
            services.offer_decline(offer_id=found.pk, now=now)
        return redirect("booking:waiting_offer", token=token)
    return render(request, "booking/waiting_offer.html", _offer_context(found))


def _offer_context(found: WaitingOffer) -> dict:
    waiting_request = found.request
    return _how(
        {
            "offer": found,
            "slot": found.slot,
            "procedure": waiting_request.procedure,
            "current": waiting_request.booking
            if waiting_request.wants_earlier
            else None,
            "token": found.token,
            "last_chance": _last_chance(waiting_request),
        }
    )


def _offer_closed(
    request: HttpRequest, found: WaitingOffer, *, booking_gone: bool = False
) -> HttpResponse:
    """Why the offer can no longer be answered, and what happens next (nothing
    personal: this page has no second factor)."""
    waiting_request = found.request
    status, left = found.status, waiting_request.status == RStatus.EXPIRED
    if status == OStatus.OPEN:  # past its deadline, the sweeper not there yet
        status, left = OStatus.EXPIRED, _last_chance(waiting_request)
    return render(
        request,
        "booking/waiting_offer_closed.html",
        _how(
            {
                "status": status,
                "still_waiting": waiting_request.is_live and not left,
                "left": left,
                "booking_gone": booking_gone,
            }
        ),
    )


def _last_chance(waiting_request: WaitingRequest) -> bool:
    """One more offer missed and the request leaves the list."""
    return waiting_request.missed_offers + 1 >= settings.WAITING_MAX_MISSED


@read_page
def short_offer(request: HttpRequest, token: str) -> HttpResponse:
    """/o/<token>/, sent by SMS: on to the offer's page."""
    try:
        found = offer_link_lookup(token=token, client_ip=client_ip(request))
    except TooManyAttempts as refused:
        return _link_refused(request, refused.wait_seconds, waiting_list=True)
    if found is None:
        return _link_refused(request, waiting_list=True)
    return redirect(offer_path(found))
