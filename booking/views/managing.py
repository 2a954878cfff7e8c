"""Managing an appointment from the link sent to the applicant (it carries the
booking's own random secret): a one-time code sent by SMS to the booking's mobile
(by e-mail when the mobile gets no SMS) first, then cancel or move, each a POST
behind a confirmation page (link scanners must never change anything, nor send a
code)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from booking import rules, selectors, services
from booking.errors import (
    MoveLimitReached,
    NotCancellable,
    SecondFactorMismatch,
    SlotFull,
    SlotNotBookable,
    TooLate,
    TooManyAttempts,
    TooManyHolds,
)
from booking.forms import ManageCodeForm, SlotForm
from booking.manage_links import (
    booking_from_token,
    email_hint,
    manage_path,
    mobile_hint,
)
from booking.models import Booking, OutgoingMessage, WaitingMode, WaitingRequest
from booking.services.identity import (
    manage_code_issue,
    manage_link_lookup,
    second_factor_check,
)
from booking.services.notices import booking_route
from booking.views.applying import (
    TOO_MANY_HOLDS,
    too_many_attempts,
    too_many_requests,
)
from booking.waiting_links import offer_path, status_path
from booking.web import calendar
from booking.web.network import client_ip
from booking.web.pages import form_page, read_page

MANAGED = "managed_booking"


def _second_factor_passed(request: HttpRequest, token: str) -> bool:
    return request.session.get(MANAGED) == token


def _link_refused(
    request: HttpRequest, wait_seconds: int = 0, *, waiting_list: bool = False
) -> HttpResponse:
    """The same answer for an unknown link, an old reference-based one and a
    forged one (nothing tells them apart), or the wait when look-ups are over the
    limit; ``waiting_list``: a waiting list's link (status or offer), whose way
    back is not the manage link's."""
    return render(
        request,
        "booking/link_invalid.html",
        {
            "wait": too_many_requests(wait_seconds) if wait_seconds else "",
            "waiting_list": waiting_list,
        },
        status=429 if wait_seconds else 404,
    )


@form_page
def manage(request: HttpRequest, token: str) -> HttpResponse:
    if _second_factor_passed(request, token):
        booking = booking_from_token(token)
        if booking is None:
            raise Http404
        return render(
            request,
            "booking/manage.html",
            {
                "booking": booking,
                "token": token,
                "can_move": _can_move(booking),
                "list_only": booking.procedure.waiting_mode == WaitingMode.LIST,
                "moves_text": _moves_text(booking),
                "too_late": not rules.is_changeable_online(
                    starts_at=booking.slot.starts_at,
                    now=timezone.now(),
                    cutoff=timedelta(hours=settings.BOOKING_CHANGE_CUTOFF_HOURS),
                ),
                "cutoff_hours": settings.BOOKING_CHANGE_CUTOFF_HOURS,
                **_earlier_context(booking),
            },
        )
    try:
        found = manage_link_lookup(token=token, client_ip=client_ip(request))
    except TooManyAttempts as refused:
        return _link_refused(request, refused.wait_seconds)
    if found is None:
        raise Http404
    booking = found
    route = booking_route(booking)
    by_email = route.channel == OutgoingMessage.Channel.EMAIL
    step = code_step(
        request,
        form_class=ManageCodeForm,
        by_email=by_email,
        unreachable=route.unreachable,
        issue=lambda: bool(manage_code_issue(booking=booking, now=timezone.now())),
        check=lambda code: second_factor_check(
            booking=booking, code=code, client_ip=client_ip(request)
        ),
    )
    if step.passed:
        request.session[MANAGED] = token
        return redirect("booking:manage", token=token)
    return render(
        request,
        "booking/second_factor.html",
        {
            "form": step.form,
            "sent": step.sent,
            "mobile": mobile_hint(booking.mobile),
            "email": email_hint(route.to) if by_email else "",
            "unreachable": route.unreachable,
        },
    )


@dataclass(frozen=True)
class CodeStep:
    form: ManageCodeForm
    sent: bool  # a code was sent just now
    passed: bool  # the right code was typed (the session's key was cycled)


def code_step(
    request: HttpRequest,
    *,
    form_class: type[ManageCodeForm],
    by_email: bool,
    unreachable: bool,
    issue: Callable[[], bool],
    check: Callable[[str], None],
) -> CodeStep:
    """The one-time code step that the manage link and the waiting list's status
    link share: a POST with send=1 sends a code (``issue``, falsy when the day's
    codes are used up), another POST checks the code typed (``check`` raises
    TooManyAttempts or SecondFactorMismatch). Nothing happens on a GET, nor when
    the holder cannot be reached (the page sends to the front desk)."""
    form = form_class(by_email=by_email)
    if unreachable or request.method != "POST":
        return CodeStep(form, sent=False, passed=False)
    if request.POST.get("send") == "1":
        if issue():
            return CodeStep(form, sent=True, passed=False)
        messages.error(
            request,
            _(
                "Aucun code n’a pu être envoyé : vous avez déjà demandé plusieurs "
                "codes aujourd’hui, ou ce numéro a déjà reçu trop de SMS de notre "
                "part aujourd’hui. Utilisez le dernier code reçu, réessayez demain, "
                "ou adressez-vous à l’accueil de la préfecture."
            ),
        )
        return CodeStep(form, sent=False, passed=False)
    form = form_class(request.POST, by_email=by_email)
    if form.is_valid():
        try:
            check(form.cleaned_data["code"])
        except TooManyAttempts as refused:
            form.add_error(None, too_many_attempts(refused.wait_seconds))
        except SecondFactorMismatch:
            form.add_error(
                "code",
                _(
                    "Ce code n’est pas le bon ou n’est plus valable. Vérifiez le "
                    "dernier courriel reçu, ou demandez un nouveau code."
                )
                if by_email
                else _(
                    "Ce code n’est pas le bon ou n’est plus valable. Vérifiez le "
                    "dernier SMS reçu, ou demandez un nouveau code."
                ),
            )
        else:
            request.session.cycle_key()
            return CodeStep(form, sent=False, passed=True)
    return CodeStep(form, sent=False, passed=False)


def _earlier_context(booking: Booking) -> dict:
    """The waiting list from the manage page: the live request for an earlier place
    (its position and status link), or whether one can be asked."""
    if booking.status != Booking.Status.CONFIRMED:
        return {}
    waiting = selectors.waiting_request_get_live(
        numero_etranger=booking.numero_etranger
    )
    if waiting is None:
        return {"can_ask_earlier": True}
    offer = (
        selectors.waiting_offer_open(waiting)
        if waiting.status == WaitingRequest.Status.OFFERED
        else None
    )
    return {
        "waiting_place": selectors.waiting_place(waiting),
        "waiting_status_url": status_path(waiting),
        "waiting_offered": waiting.status == WaitingRequest.Status.OFFERED,
        # The page is the holder's (past the code): the offer's own link, since its
        # SMS may be held by the quiet hours.
        "waiting_offer_url": offer_path(offer) if offer else "",
    }


def _manage_guard(request: HttpRequest, token: str) -> Booking | HttpResponse:
    if not _second_factor_passed(request, token):
        return redirect("booking:manage", token=token)
    booking = booking_from_token(token)
    if booking is None:
        raise Http404
    if booking.status != Booking.Status.CONFIRMED:
        # Cancelled (in another tab, by an agent) or past: nothing left to move or
        # cancel; the manage page says what became of it.
        return redirect("booking:manage", token=token)
    return booking


@read_page
def manage_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The appointment as it is now (after a move too), for the applicant's
    calendar: the same event (its UID), a higher SEQUENCE, so the calendar updates
    it rather than adding a second one."""
    booking = _manage_guard(request, token)
    if isinstance(booking, HttpResponse):
        return booking
    if booking.status != Booking.Status.CONFIRMED:
        raise Http404
    return calendar.ics_response(booking)


@form_page
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    booking = _manage_guard(request, token)
    if isinstance(booking, HttpResponse):
        return booking
    if request.method == "POST":
        try:
            services.booking_cancel(booking_id=booking.pk, now=timezone.now())
        except TooLate:
            messages.error(request, _too_late_message())
        except NotCancellable:
            messages.error(request, _("Ce rendez-vous n’est plus actif."))
        else:
            messages.success(request, _("Votre rendez-vous est annulé."))
        return redirect("booking:manage", token=token)
    return render(request, "booking/cancel.html", {"booking": booking, "token": token})


def _too_late_message() -> str:
    return _(
        "Il est trop tard pour modifier ce rendez-vous en ligne (moins de %(hours)d "
        "heures avant). Contactez l’accueil de la préfecture."
    ) % {"hours": settings.BOOKING_CHANGE_CUTOFF_HOURS}


def _moves_left(booking: Booking) -> int:
    return max(0, settings.BOOKING_MAX_MOVES - booking.move_count)


def _moves_text(booking: Booking) -> str:
    """How many more times the applicant may move the appointment online."""
    left = _moves_left(booking)
    if left:
        return ngettext(
            "Vous pouvez encore déplacer ce rendez-vous %(count)d fois.",
            "Vous pouvez encore déplacer ce rendez-vous %(count)d fois.",
            left,
        ) % {"count": left}
    return _move_limit_message()


def _move_limit_message() -> str:
    moves = settings.BOOKING_MAX_MOVES
    return ngettext(
        "Ce rendez-vous a déjà été déplacé %(count)d fois : il ne peut plus être "
        "déplacé en ligne. Vous pouvez encore l’annuler, ou contacter l’accueil de "
        "la préfecture.",
        "Ce rendez-vous a déjà été déplacé %(count)d fois : il ne peut plus être "
        "déplacé en ligne. Vous pouvez encore l’annuler, ou contacter l’accueil de "
        "la préfecture.",
        moves,
    ) % {"count": moves}


def _can_move(booking: Booking) -> bool:
    """Moves left, and a démarche whose places are shown for self-service (one
    given only through the waiting list has no slot to move to: "plus tôt")."""
    return (
        _moves_left(booking) > 0 and booking.procedure.waiting_mode != WaitingMode.LIST
    )


@form_page
def move(request: HttpRequest, token: str) -> HttpResponse:
    booking = _manage_guard(request, token)
    if isinstance(booking, HttpResponse):
        return booking
    if not _can_move(booking):
        # No slot list and no hold: the manage page says why.
        return redirect("booking:manage", token=token)
    hold_key = f"move-hold-{booking.pk}"
    hold_token = request.session.get(hold_key) or ""
    now = timezone.now()
    if request.method == "POST":
        form = SlotForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choisissez un créneau dans la liste."))
        elif form.cleaned_data["slot"] == booking.slot_id:
            # Not in the list: a forged or stale choice, which must not read as a
            # move done (nothing would change, nothing be counted).
            messages.error(
                request,
                _("C’est déjà le créneau de votre rendez-vous : rien ne change."),
            )
        else:
            slot_id = form.cleaned_data["slot"]
            try:
                if request.POST.get("confirm") == "1":
                    services.booking_move(
                        booking_id=booking.pk,
                        slot_id=slot_id,
                        hold_token=hold_token,
                        now=now,
                    )
                else:
                    # One hold per booking: a new choice replaces the previous one.
                    hold_token = services.hold_place(
                        slot_id=slot_id,
                        procedure=booking.procedure,
                        booking_id=booking.pk,
                        client_ip=client_ip(request),
                        now=now,
                    ).token
            except (SlotFull, SlotNotBookable):
                messages.error(
                    request, _("Ce créneau vient d’être pris. Choisissez-en un autre.")
                )
            except TooManyHolds:
                messages.error(request, TOO_MANY_HOLDS)
            except TooLate:
                messages.error(request, _too_late_message())
                return redirect("booking:manage", token=token)
            except NotCancellable:
                messages.error(request, _("Ce rendez-vous n’est plus actif."))
                return redirect("booking:manage", token=token)
            except MoveLimitReached:  # moved meanwhile from another tab
                return redirect("booking:manage", token=token)
            else:
                if request.POST.get("confirm") == "1":
                    request.session.pop(hold_key, None)
                    messages.success(request, _("Votre rendez-vous est déplacé."))
                    return redirect("booking:manage", token=token)
                request.session[hold_key] = hold_token
                slot = selectors.slot_get(pk=slot_id)
                return render(
                    request,
                    "booking/move_confirm.html",
                    {
                        "booking": booking,
                        "slot": slot,
                        "token": token,
                        "moves_text": _moves_text(booking),
                    },
                )
    open_slots = selectors.slot_list_open(
        procedure=booking.procedure, now=now, exclude_hold_token=hold_token
    ).exclude(pk=booking.slot_id)
    listed = selectors.slot_day(
        open_slots, day=rules.parse_day(request.GET.get("du", "")), now=now
    )
    return render(
        request,
        "booking/move.html",
        {
            "booking": booking,
            "token": token,
            "listed": listed,
            "manage_url": reverse("booking:manage", kwargs={"token": token}),
            "moves_text": _moves_text(booking),
        },
    )


@read_page
def short_link(request: HttpRequest, token: str) -> HttpResponse:
    """The short address sent by SMS: on to the manage page (which asks for the
    one-time code before showing anything). An old reference-based link, or any
    unknown one, only says how to get a new link."""
    try:
        booking = manage_link_lookup(token=token, client_ip=client_ip(request))
    except TooManyAttempts as refused:
        return _link_refused(request, refused.wait_seconds)
    if booking is None:
        return _link_refused(request)
    return redirect(manage_path(booking))
