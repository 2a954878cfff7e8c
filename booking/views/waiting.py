"""The waiting list's public pages: joining (from the slot step), the status page
(behind the same second factor as the manage link), and asking for an earlier place
from the manage page; an offer's page is in offers.py. Thin: a form validates, one
service acts, its error becomes a message. Link scanners change nothing: every
change, and sending a code, is a POST."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from booking import availability, rules, selectors, services
from booking.errors import (
    AlreadyBooked,
    AlreadyWaiting,
    NotCancellable,
    PreferencesTooNarrow,
    RequestNotLive,
    TooManyAttempts,
)
from booking.forms import (
    HALF_DAY_LABELS,
    PREFERENCES_TOO_NARROW,
    WaitingCodeForm,
    WaitingEarlierForm,
    WaitingJoinForm,
)
from booking.manage_links import email_hint, mobile_hint
from booking.models import Booking, WaitingMode, WaitingRequest
from booking.phone import is_in_regions
from booking.services.identity import (
    waiting_code_check,
    waiting_code_issue,
    waiting_link_lookup,
)
from booking.services.waiting import title_valid_until_for
from booking.views.applying import (
    _already_booked,
    _procedure,
    _release_hold,
    _start_again,
    flow_required,
    guarded_submit,
)
from booking.views.managing import _link_refused, _manage_guard, code_step
from booking.waiting_links import (
    offer_path,
    request_from_token,
    status_path,
)
from booking.web import flow
from booking.web.network import client_ip
from booking.web.pages import form_page, read_page

JOINED = "waiting_joined"  # the status token of the request this session just made
UNLOCKED = "waiting_status"  # the status token whose second factor this session passed


def _how(extra: dict | None = None) -> dict:
    """What every page about the list says of how places are offered."""
    return {
        "offer_hours": settings.WAITING_OFFER_HOURS,
        "max_missed": settings.WAITING_MAX_MISSED,
        **(extra or {}),
    }


def _reach(request: WaitingRequest) -> tuple[bool, str]:
    """Whether SMS reach the request's mobile, and its e-mail address (if any)."""
    return is_in_regions(request.mobile, settings.SMS_ALLOWED_REGIONS), request.email


def _already_waiting(request: HttpRequest, token: str) -> HttpResponse:
    """The numéro is on the list already: its status link (which still asks for the
    one-time code), never its details."""
    status_url = reverse("booking:waiting_status", args=[token]) if token else ""
    return render(
        request, "booking/waiting_already.html", _how({"status_url": status_url})
    )


def _existing_booking(request: HttpRequest, reference: str) -> HttpResponse:
    existing = selectors.booking_get_by_reference(reference=reference)
    if existing is None:  # cancelled in between: start again
        return _start_again(request)
    return _already_booked(request, existing)


# --- joining ---------------------------------------------------------------------


def _places_shown(procedure, state: flow.FlowState) -> bool:
    """Whether the slot list shows this applicant a place (as its page decides)."""
    if procedure.waiting_mode == WaitingMode.LIST:
        return False
    return bool(
        availability.slot_day_html(
            procedure=procedure,
            now=timezone.now(),
            day=None,
            exclude_hold_token=state.hold_token,
        )
    )


@form_page
@flow_required("procedure_id", "numero_etranger", "valid_until")
def join(request: HttpRequest, state: flow.FlowState) -> HttpResponse:
    procedure = _procedure(state)
    try:
        title_valid_until = date.fromisoformat(state.valid_until)
    except ValueError:
        return _start_again(request)
    live = selectors.waiting_request_get_live(numero_etranger=state.numero_etranger)
    if live is not None:
        return _already_waiting(request, live.token)
    if _places_shown(procedure, state):
        # "direct" and "mixte": the list is for when nothing is free; a place shown
        # is booked from the slot list (an offer keeps its place a day, a hold
        # minutes).
        return redirect("booking:slots")
    form = WaitingJoinForm(request.POST or None)
    if guarded_submit(request, form):
        data = form.cleaned_data
        try:
            joined = services.waiting_join(
                procedure=procedure,
                applicant=services.Applicant(
                    numero_etranger=state.numero_etranger,
                    last_name=data["last_name"],
                    first_name=data["first_name"],
                    mobile=data["mobile"],
                    email=data["email"],
                    language=(get_language() or "fr")[:2],
                    for_relative=state.for_relative,
                ),
                title_valid_until=title_valid_until,
                site_ids=data["sites"],
                unavailable=form.unavailable_mask,
                now=timezone.now(),
            )
        except PreferencesTooNarrow:  # a site closed meanwhile
            form.add_error(None, PREFERENCES_TOO_NARROW)
        except AlreadyWaiting as already:
            return _already_waiting(request, already.status_token)
        except AlreadyBooked as already:
            return _existing_booking(request, already.reference)
        else:
            _release_hold(request, state)
            flow.clear(request)
            request.session[JOINED] = joined.token
            return redirect("booking:waiting_joined")
    return render(
        request,
        "booking/waiting_join.html",
        _how({"form": form, "procedure": procedure}),
    )


@read_page
def joined(request: HttpRequest) -> HttpResponse:
    token = request.session.get(JOINED)
    found = request_from_token(token) if isinstance(token, str) else None
    if found is None:
        raise Http404
    by_sms, email = _reach(found)
    sms_refused = by_sms and selectors.waiting_joined_sms_refused(found)
    offer = (
        selectors.waiting_offer_open(found)
        if found.status == WaitingRequest.Status.OFFERED
        else None
    )
    return render(
        request,
        "booking/waiting_joined.html",
        _how(
            {
                "waiting_request": found,
                "place": selectors.waiting_place(found) if found.is_live else None,
                # Offered at once (the session that joined): the offer's own link,
                # its SMS may be held by the quiet hours.
                "offer_url": offer_path(offer) if offer else "",
                "status_url": status_path(found),
                "mobile": mobile_hint(found.mobile)
                if by_sms and not sms_refused
                else "",
                "sms_refused": mobile_hint(found.mobile) if sms_refused else "",
                "email": email_hint(email) if email else "",
            }
        ),
    )


# --- the status page ---------------------------------------------------------------


@form_page
def status(request: HttpRequest, token: str) -> HttpResponse:
    if request.session.get(UNLOCKED) == token:
        found = request_from_token(token)
        if found is None:
            raise Http404
        return _status_page(request, found)
    try:
        found = waiting_link_lookup(token=token, client_ip=client_ip(request))
    except TooManyAttempts as refused:
        return _link_refused(request, refused.wait_seconds, waiting_list=True)
    if found is None:
        return _link_refused(request, waiting_list=True)
    if not found.is_live:
        # No code can be sent any more: the next step, and nothing else.
        return render(request, "booking/waiting_ended.html", {"unlocked": False})
    by_sms, email = _reach(found)
    by_email = not by_sms and bool(email)
    unreachable = not by_sms and not by_email
    step = code_step(
        request,
        form_class=WaitingCodeForm,
        by_email=by_email,
        unreachable=unreachable,
        issue=lambda: bool(waiting_code_issue(request=found, now=timezone.now())),
        check=lambda code: waiting_code_check(
            request=found, code=code, client_ip=client_ip(request)
        ),
    )
    if step.passed:
        request.session[UNLOCKED] = token
        return redirect("booking:waiting_status", token=token)
    return render(
        request,
        "booking/waiting_second_factor.html",
        {
            "form": step.form,
            "sent": step.sent,
            "mobile": mobile_hint(found.mobile),
            "email": email_hint(email) if by_email else "",
            "unreachable": unreachable,
        },
    )


def _status_page(request: HttpRequest, found: WaitingRequest) -> HttpResponse:
    if not found.is_live:
        return render(
            request,
            "booking/waiting_ended.html",
            {
                "unlocked": True,
                "waiting_request": found,
                "max_missed": settings.WAITING_MAX_MISSED,
            },
        )
    offer = selectors.waiting_offer_open(found)
    return render(
        request,
        "booking/waiting_status.html",
        _how(
            {
                "waiting_request": found,
                "token": found.token,
                "place": selectors.waiting_place(found),
                "offer": offer,
                "offer_url": offer_path(offer) if offer else "",
                "sites": [site.name for site in found.sites.all()],
                "unavailable": _half_day_labels(found.unavailable_half_days),
            }
        ),
    )


def _half_day_labels(mask: int) -> list[str]:
    return [str(HALF_DAY_LABELS[code]) for code in rules.half_days_codes(mask)]


@form_page
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    if request.session.get(UNLOCKED) != token:
        return redirect("booking:waiting_status", token=token)
    found = request_from_token(token)
    if found is None:
        raise Http404
    if request.method == "POST":
        try:
            services.waiting_withdraw(request_id=found.pk, now=timezone.now())
        except RequestNotLive:
            messages.error(
                request, _("Cette demande n'est plus sur la liste d'attente.")
            )
        else:
            messages.success(request, _("Vous n'êtes plus sur la liste d'attente."))
        return redirect("booking:waiting_status", token=token)
    if not found.is_live:
        return redirect("booking:waiting_status", token=token)
    return render(
        request,
        "booking/waiting_withdraw.html",
        {"waiting_request": found, "token": token},
    )


# --- an earlier place, from the manage page -----------------------------------------


@form_page
def earlier(request: HttpRequest, token: str) -> HttpResponse:
    booking = _manage_guard(request, token)
    if isinstance(booking, HttpResponse):
        return booking
    if (
        booking.status != Booking.Status.CONFIRMED
        or selectors.waiting_request_get_live(numero_etranger=booking.numero_etranger)
        is not None
    ):
        return redirect("booking:manage", token=token)
    form = WaitingEarlierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            joined = services.waiting_join(
                procedure=booking.procedure,
                applicant=services.Applicant.of(booking),
                title_valid_until=title_valid_until_for(booking.numero_etranger)
                or timezone.localtime(booking.slot.starts_at).date(),
                site_ids=form.cleaned_data["sites"],
                unavailable=form.unavailable_mask,
                now=now,
                earlier_than=booking,
            )
        except PreferencesTooNarrow:
            form.add_error(None, PREFERENCES_TOO_NARROW)
        except (AlreadyWaiting, NotCancellable, AlreadyBooked):
            # Asked meanwhile from another tab, or the appointment is no longer
            # active: the manage page says which.
            return redirect("booking:manage", token=token)
        else:
            # The same holder, whose phone the manage page's code just proved.
            request.session[UNLOCKED] = joined.token
            messages.success(
                request,
                _(
                    "C'est noté : si une place plus proche se libère, nous vous la "
                    "proposerons par SMS. Votre rendez-vous actuel est gardé d'ici là."
                ),
            )
            return redirect("booking:manage", token=token)
    return render(
        request,
        "booking/waiting_earlier.html",
        _how({"form": form, "booking": booking, "token": token}),
    )


# --- the short links sent by SMS ----------------------------------------------------


@read_page
def short_status(request: HttpRequest, token: str) -> HttpResponse:
    """/la/<token>/, sent by SMS: on to the status page."""
    try:
        found = waiting_link_lookup(token=token, client_ip=client_ip(request))
    except TooManyAttempts as refused:
        return _link_refused(request, refused.wait_seconds, waiting_list=True)
    if found is None:
        return _link_refused(request, waiting_list=True)
    return redirect(status_path(found))
