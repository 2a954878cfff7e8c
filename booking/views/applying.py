"""The applicant's booking flow: gate → identity → slot → details → confirmation.

Views are thin: a form validates, one service acts, its BookingError becomes a message.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from booking import availability, rules, selectors, services
from booking.errors import (
    AlreadyBooked,
    IdentityMismatch,
    SlotFull,
    SlotNotBookable,
    TooManyAttempts,
    TooManyHolds,
)
from booking.forms import (
    ContactForm,
    GateForm,
    HardProofIdentityForm,
    IdentityForm,
    SlotForm,
)
from booking.manage_links import email_hint, manage_path, mobile_hint
from booking.models import Booking, OutgoingMessage, Procedure, WaitingMode
from booking.services.identity import confirmation_attempt_record, identity_check
from booking.services.notices import booking_link_resend, booking_route
from booking.waiting_links import status_path_of
from booking.web import calendar, flow
from booking.web.network import client_ip
from booking.web.pages import form_page, read_page

GENERIC_MISMATCH = gettext_lazy(
    "Nous ne trouvons pas de titre de séjour correspondant à ces informations. "
    "Vérifiez le numéro étranger, la date de validité et le code postal inscrits sur "
    "le titre, puis réessayez."
)


def _start_again(request: HttpRequest) -> HttpResponse:
    messages.error(
        request,
        _(
            "Votre demande a expiré ou n’a pas suivi les étapes : merci de recommencer "
            "depuis le début."
        ),
    )
    return redirect("booking:start")


def flow_required(*fields: str):
    """Refuses a later step unless the gate (and the steps before it) were passed."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            state = flow.load(request)
            if state is None and isinstance(request.session.get("booked"), str):
                # Back, a reload or a second tap after the booking was made: the
                # flow is over, its confirmation is what the applicant looks for.
                return redirect("booking:done")
            if state is None or not all(getattr(state, name) for name in fields):
                return _start_again(request)
            return view(request, state, *args, **kwargs)

        return wrapper

    return decorator


TOO_MANY_HOLDS = gettext_lazy(
    "Trop de créneaux sont déjà réservés en ce moment depuis votre connexion. "
    "Réessayez dans quelques minutes ou terminez une réservation en cours."
)


def _release_hold(request: HttpRequest, state: flow.FlowState) -> flow.FlowState:
    """Gives the session's held place back at once (its flow was abandoned, or its
    identity changed) and returns the state without it."""
    if not state.hold_token and not state.slot_id:
        return state
    services.hold_release(token=state.hold_token)
    state = state.with_changes(hold_token="", slot_id=0)
    flow.save(request, state)
    return state


def _procedure(state: flow.FlowState) -> Procedure:
    procedure = selectors.procedure_get_offered(pk=state.procedure_id)
    if procedure is None:
        raise Http404
    return procedure


def _outcome_page(request, outcome: rules.Outcome, procedure=None) -> HttpResponse:
    return render(
        request,
        "booking/outcome.html",
        {
            "outcome": outcome,
            "procedure": procedure,
            "sites": selectors.site_list_active(),
        },
    )


@form_page
def start(request: HttpRequest) -> HttpResponse:
    in_progress = flow.load(request)
    if in_progress is not None:  # back at the start: the flow so far is abandoned
        _release_hold(request, in_progress)
    form = GateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        procedure = form.cleaned_data["procedure"]
        outcome = rules.decide_eligibility(
            rules.Situation(form.cleaned_data["situation"]),
            rules.ProcedureRule(
                rules.Channel(procedure.channel), procedure.external_url
            ),
        )
        if outcome.kind != rules.OutcomeKind.BOOK:
            flow.clear(request)
            return _outcome_page(request, outcome, procedure)
        # A new flow closes the previous booking's confirmation: no Back, expiry or
        # second tap leads there any more (a relative booked next from the same
        # browser, the next person at a shared computer).
        request.session.pop("booked", None)
        request.session.pop("booked_moved", None)
        flow.save(
            request,
            flow.FlowState(
                procedure_id=procedure.pk, situation=form.cleaned_data["situation"]
            ),
        )
        if availability.procedure_complet(procedure=procedure, now=timezone.now()):
            # Said at once, in the answer to the gate: in a rush, the late ones stop
            # here. The identity step's form is on the same page, for the waiting list.
            return render(
                request,
                "booking/identity.html",
                {
                    "form": IdentityForm(),
                    "form_action": reverse("booking:identity"),
                    "procedure": procedure,
                    "complet": True,
                },
            )
        return redirect("booking:identity")
    return render(
        request,
        "booking/start.html",
        {"form": form, "procedures_version": selectors.procedures_version()},
    )


def too_many_attempts(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return _(
        "Trop d’essais infructueux. Par sécurité, réessayez dans %(minutes)d minutes."
    ) % {"minutes": minutes}


def too_many_requests(seconds: int) -> str:
    """Over a limit that counts every request, not only the failed ones (a link
    opened, a confirmation sent): an address may be shared by many people."""
    minutes = max(1, (seconds + 59) // 60)
    return _(
        "Trop de demandes depuis votre connexion en peu de temps. Par sécurité, "
        "réessayez dans %(minutes)d minutes."
    ) % {"minutes": minutes}


def _already_booked(request: HttpRequest, booking: Booking) -> HttpResponse:
    """Never the reference: the manage link goes again to the booking's own mobile,
    or its e-mail address when the mobile gets no SMS (within its daily limit), and
    the page says where, masked, or to see the front desk when there is no way."""
    resent = booking_link_resend(booking_id=booking.pk, now=timezone.now())
    route = resent or booking_route(booking)
    return render(
        request,
        "booking/already_booked.html",
        {
            "resent": bool(resent),
            "unreachable": route.unreachable,
            # Where to call or go then: the appointment's own site (not its date).
            "site": booking.slot.site,
            "mobile": mobile_hint(booking.mobile),
            "email": email_hint(route.to)
            if route.channel == OutgoingMessage.Channel.EMAIL
            else "",
        },
    )


HARD_PROOF_NEEDED = gettext_lazy(
    "De nombreux essais ont échoué récemment pour ce numéro étranger. Par sécurité, "
    "une vérification anti-robot plus longue est nécessaire : attendez qu’elle soit "
    "terminée (quelques secondes, JavaScript doit être activé), puis validez."
)


@form_page
@flow_required("procedure_id")
def identity(request: HttpRequest, state: flow.FlowState) -> HttpResponse:
    procedure = _procedure(state)
    form: IdentityForm = (
        HardProofIdentityForm(request.POST)
        if settings.ANTIBOT and "proof" in request.POST
        else IdentityForm(request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        numero = data["numero_etranger"]
        try:
            checked = identity_check(
                numero_etranger=numero,
                valid_until=data["valid_until"],
                postal_code=data["postal_code"],
                session_key=request.session.session_key or "",
                client_ip=client_ip(request),
                now=timezone.now(),
                has_hard_proof=isinstance(form, HardProofIdentityForm)
                and form.has_hard_proof,
            )
        except TooManyAttempts as refused:
            form.add_error(None, too_many_attempts(refused.wait_seconds))
        except IdentityMismatch:
            form.add_error(None, GENERIC_MISMATCH)
        else:
            if checked.needs_proof:
                form = HardProofIdentityForm(
                    {k: v for k, v in request.POST.items() if k != "proof"}
                )
                form.is_valid()
                form.add_error(None, HARD_PROOF_NEEDED)
                return render(
                    request,
                    "booking/identity.html",
                    {"form": form, "procedure": procedure},
                )
            if numero != state.numero_etranger:  # another identity: not its place
                state = _release_hold(request, state)
            if checked.redirect is not None:
                return _outcome_page(request, checked.redirect, procedure)
            if checked.active_booking is not None:
                return _already_booked(request, checked.active_booking)
            flow.save(
                request,
                state.with_changes(
                    numero_etranger=numero,
                    for_relative=data["for_relative"],
                    valid_until=checked.valid_until.isoformat()
                    if checked.valid_until
                    else "",
                ),
            )
            typed_digits = "".join(
                c for c in request.POST["numero_etranger"] if c.isdigit()
            )
            if typed_digits != numero:
                messages.info(
                    request,
                    _(
                        "Votre numéro a 9 chiffres (carte d’avant 2017) : nous "
                        "utiliserons le numéro %(numero)s, avec un 0 ajouté après les "
                        "deux premiers chiffres."
                    )
                    % {"numero": numero},
                )
            return redirect("booking:slots")
    return render(
        request, "booking/identity.html", {"form": form, "procedure": procedure}
    )


@form_page
@flow_required("procedure_id", "numero_etranger")
def slots(request: HttpRequest, state: flow.FlowState) -> HttpResponse:
    procedure = _procedure(state)
    now = timezone.now()
    form = None
    if request.method == "POST":
        form = SlotForm(request.POST)
        if form.is_valid():
            slot_id = form.cleaned_data["slot"]
            try:
                hold = services.hold_place(
                    slot_id=slot_id,
                    procedure=procedure,
                    numero_etranger=state.numero_etranger,
                    client_ip=client_ip(request),
                    now=now,
                )
            except SlotFull:
                messages.error(
                    request,
                    _("Ce créneau vient d’être pris. Choisissez-en un autre."),
                )
            except SlotNotBookable:
                messages.error(
                    request,
                    _("Ce créneau n’est pas proposé. Choisissez-en un dans la liste."),
                )
            except TooManyHolds:
                messages.error(request, TOO_MANY_HOLDS)
            else:
                flow.save(
                    request,
                    state.with_changes(hold_token=hold.token, slot_id=slot_id),
                )
                return redirect("booking:details")
            form = None  # the refusal is a message above the list
            if state.hold_token:  # the service gave the previous choice's place back
                state = state.with_changes(hold_token="", slot_id=0)
                flow.save(request, state)
    list_only = procedure.waiting_mode == WaitingMode.LIST
    choices = (
        ""
        if list_only  # no place is shown for self-service: all go through the list
        else availability.slot_day_html(
            procedure=procedure,
            now=now,
            day=rules.parse_day(request.GET.get("du", "")),
            exclude_hold_token=state.hold_token,
        )
    )
    waiting_token = (
        None
        if choices
        else selectors.waiting_token_live(numero_etranger=state.numero_etranger)
    )
    return render(
        request,
        "booking/slots.html",
        {
            "form": form,  # bound and invalid: the error summary and "Erreur :"
            "procedure": procedure,
            "choices": choices,
            "hold_minutes": settings.BOOKING_HOLD_MINUTES,
            "list_only": list_only,
            "waiting_status_url": status_path_of(waiting_token)
            if waiting_token
            else "",
        },
    )


@form_page
@flow_required("procedure_id", "numero_etranger", "hold_token", "slot_id")
def details(request: HttpRequest, state: flow.FlowState) -> HttpResponse:
    procedure = _procedure(state)
    form = ContactForm(request.POST or None)
    if guarded_submit(request, form) and _slot_unchanged(request, state, form):
        data = form.cleaned_data
        applicant = services.Applicant(
            numero_etranger=state.numero_etranger,
            last_name=data["last_name"],
            first_name=data["first_name"],
            mobile=data["mobile"],
            email=data["email"],
            language=(get_language() or "fr")[:2],
            for_relative=state.for_relative,
        )
        try:
            booking = services.booking_create(
                slot_id=state.slot_id,  # gone or no longer offered: SlotNotBookable
                procedure=procedure,
                applicant=applicant,
                hold_token=state.hold_token,
                now=timezone.now(),
            )
        except (SlotFull, SlotNotBookable):
            messages.error(
                request,
                _(
                    "Ce créneau vient d’être pris : le délai de réservation était "
                    "dépassé. Choisissez-en un autre ; vos coordonnées ne sont pas "
                    "perdues si vous revenez."
                ),
            )
            # The service released the hold: the race is lost.
            flow.save(request, state.with_changes(hold_token="", slot_id=0))
            return redirect("booking:slots")
        except AlreadyBooked as already:
            existing = selectors.booking_get_by_reference(reference=already.reference)
            if existing is None:  # cancelled in between: start again
                return _start_again(request)
            return _already_booked(request, existing)
        flow.clear(request)
        request.session["booked"] = booking.reference
        return redirect("booking:done")
    # Read only to be shown: a confirmation that succeeds needs neither (the
    # service locks the slot and checks the hold itself).
    slot = selectors.slot_get(pk=state.slot_id)
    if slot is None:
        return _start_again(request)
    hold = selectors.hold_get(token=state.hold_token)
    return render(
        request,
        "booking/details.html",
        {"form": form, "procedure": procedure, "slot": slot, "hold": hold},
    )


def _slot_unchanged(request: HttpRequest, state: flow.FlowState, form) -> bool:
    """The slot the page showed is still the session's: another tab of the same
    browser may have chosen another one meanwhile, and the applicant confirms what
    they read. A form without the field (an older page) confirms the session's."""
    shown = request.POST.get("slot", "")
    if shown in ("", str(state.slot_id)):
        return True
    form.add_error(
        None,
        _(
            "Le créneau choisi a changé dans un autre onglet ou une autre fenêtre : "
            "vérifiez le créneau ci-dessous, puis confirmez de nouveau."
        ),
    )
    return False


def guarded_submit(request: HttpRequest, form) -> bool:
    """The anti-bot guard of the steps that write (the booking's details, joining
    the waiting list): every POST counts as an attempt, valid or not (per session
    and IP, tighter without a proof of work), and a filled honeypot is refused.
    True when the form may be acted on; otherwise the refusal is on the form."""
    if request.method != "POST":
        return False
    try:
        confirmation_attempt_record(
            session_key=request.session.session_key or "",
            client_ip=client_ip(request),
            has_proof=bool(request.POST.get("proof")),
        )
    except TooManyAttempts as refused:
        form.is_valid()
        form.add_error(None, too_many_requests(refused.wait_seconds))
        return False
    if not form.is_valid():
        return False
    if settings.ANTIBOT and form.cleaned_data["website"]:
        form.add_error(None, _("Votre demande n’a pas pu être traitée. Réessayez."))
        return False
    return True


def _session_booking(request: HttpRequest) -> Booking:
    reference = request.session.get("booked")
    booking = (
        selectors.booking_for_confirmation(reference=reference)
        if isinstance(reference, str)
        else None
    )
    if booking is None:
        raise Http404
    return booking


@read_page
def done(request: HttpRequest) -> HttpResponse:
    booking = _session_booking(request)
    if booking.status == Booking.Status.CANCELLED:  # cancelled since, in another tab
        return render(request, "booking/done_cancelled.html", {"booking": booking})
    return render(
        request,
        "booking/done.html",
        {
            "booking": booking,
            "manage_path": manage_path(booking),
            # Accepted from the waiting list: the appointment was brought earlier.
            "moved": request.session.get("booked_moved") == booking.reference,
        },
    )


@read_page
def done_ics(request: HttpRequest) -> HttpResponse:
    booking = _session_booking(request)
    if booking.status == Booking.Status.CANCELLED:
        raise Http404
    return calendar.ics_response(booking)
