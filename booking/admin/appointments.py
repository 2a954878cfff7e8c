"""Appointments and the day's agenda (check-in, no-show, cancel, flag; CSV export)."""

import csv
from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking import selectors, services
from booking.admin.agenda import (
    AgendaCancelForm,
    agenda_back,
    agenda_row,
    booking_for_agenda,
)
from booking.admin.base import (
    AuditTrailInline,
    NumeroEtrangerSearchMixin,
    ServiceHistoryAdmin,
)
from booking.admin.confirm import ask_first
from booking.admin.forms import CONTACT_FIELDS, BookingChangeForm
from booking.admin.statistics import StatisticsPageMixin
from booking.errors import BookingError, CheckInRefused, TooLate
from booking.models import Booking, BookingEvent, OutgoingMessage
from booking.services.bookings import cancel_refusal
from booking.services.csv_rows import safe_cell
from booking.services.notices import booking_link_resend


class BookingEventInline(AuditTrailInline):
    model = BookingEvent


@admin.register(Booking)
class BookingAdmin(NumeroEtrangerSearchMixin, StatisticsPageMixin, ServiceHistoryAdmin):
    list_display = ["reference", "slot", "procedure", "last_name", "status"]
    list_filter = ["status", "slot__site", "procedure"]
    list_select_related = ["slot", "slot__procedure", "procedure"]
    search_fields = ["=reference", "=numero_etranger", "last_name"]
    date_hierarchy = "slot__starts_at"
    inlines = [BookingEventInline]
    actions = ["cancel_bookings"]
    form = BookingChangeForm
    # Everything a service owns is read here: the slot (booking_move), the status
    # (cancel, check-in), the flag and its note (booking_flag_numero).
    readonly_fields = [
        "reference",
        "slot",
        "procedure",
        "numero_etranger",
        "status",
        "suspicious_numero",
        "agent_note",
        "created_at",
        "updated_at",
        "confirmation_email_sent_at",
    ]

    def has_add_permission(self, request) -> bool:
        # Appointments are taken through the booking flow and its rules.
        return False

    def has_agenda_permission(self, request: HttpRequest) -> bool:
        return self.has_model_permission(request, "view_booking")

    def allowed_pages(self, request: HttpRequest) -> set[str]:
        pages = {
            "booking_booking_agenda": self.has_agenda_permission(request),
            "booking_booking_statistics": self.has_statistics_permission(request),
        }
        return {name for name, allowed in pages.items() if allowed}

    def save_model(self, request, obj, form, change) -> None:
        agent = request.user.get_username()
        if set(form.changed_data) & set(CONTACT_FIELDS):
            services.booking_update_contact(
                booking_id=obj.pk,
                by=agent,
                **{name: form.cleaned_data[name] for name in CONTACT_FIELDS},
            )
        if form.cleaned_data["flag"]:
            services.booking_flag_numero(
                booking_id=obj.pk, by=agent, note=form.cleaned_data["flag_note"]
            )

    def get_urls(self):
        agenda = path(
            "agenda/",
            self.admin_site.admin_view(self.agenda_view),
            name="booking_booking_agenda",
        )
        agenda_cancel = path(
            "agenda/annuler/<int:booking_id>/",
            self.admin_site.admin_view(self.agenda_cancel_view),
            name="booking_booking_agenda_cancel",
        )
        statistics = path(
            "statistiques/",
            self.admin_site.admin_view(self.statistics_view),
            name="booking_booking_statistics",
        )
        return [agenda, agenda_cancel, statistics, *super().get_urls()]

    def agenda_view(self, request: HttpRequest) -> HttpResponse:
        """The day's appointments of a site: check-in, no-show, cancel on behalf of
        the applicant (who is told by SMS), flag a doubtful numéro; CSV export."""
        if not self.has_agenda_permission(request):
            raise PermissionDenied
        can_change = self.has_change_permission(request)
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            self._agenda_action(request)
            return redirect(request.get_full_path())
        try:
            day = date.fromisoformat(request.GET.get("day", ""))
        except ValueError:
            day = timezone.localdate()
        site = request.GET.get("site", "")
        # ASCII digits only ("²".isdigit() is true) and few enough for an integer column
        site_id = (
            int(site) if site.isascii() and site.isdigit() and len(site) < 10 else None
        )
        query = request.GET.get("q", "").replace("\x00", "").strip()[:80]
        bookings = selectors.booking_list_for_day(site_id=site_id, day=day, query=query)
        if request.GET.get("format") == "csv":
            return agenda_csv(bookings, day)
        params = request.GET.copy()
        params["format"] = "csv"
        now = timezone.now()
        shown = list(bookings)
        context = self.page_context(
            request,
            title=_("Agenda du jour"),
            bookings=shown,
            closures=list(selectors.closure_list_for_day(day=day, site_id=site_id)),
            # A reference or numéro searched on the wrong day: the days it is on.
            elsewhere=selectors.booking_days_for(query=query)
            if query and not shown
            else [],
            rows=[agenda_row(booking, now=now) for booking in shown],
            back=request.GET.urlencode(),
            sites=selectors.site_list_active(),
            site_id=site_id,
            day=day,
            query=query,
            csv_query=params.urlencode(),
            can_change=can_change,
        )
        return TemplateResponse(request, "admin/booking/booking/agenda.html", context)

    def _agenda_action(self, request: HttpRequest) -> None:
        agent = request.user.get_username()
        action = request.POST.get("do")
        try:
            booking_id = int(request.POST.get("booking", ""))
            if action in ("present", "absent"):
                services.booking_check_in(
                    booking_id=booking_id,
                    by=agent,
                    present=action == "present",
                    now=timezone.now(),
                )
            elif action == "undo":
                services.booking_check_in_undo(
                    booking_id=booking_id, by=agent, now=timezone.now()
                )
            elif action == "flag":
                services.booking_flag_numero(
                    booking_id=booking_id, by=agent, note=request.POST.get("note", "")
                )
            elif action == "resend_link":
                sent = booking_link_resend(
                    booking_id=booking_id, now=timezone.now(), by=agent
                )
                refusal: str | Promise = ""
                if sent.unreachable:
                    refusal = _(
                        "Lien non renvoyé : le portable n’est pas français et aucune "
                        "adresse électronique n’a été donnée."
                    )
                elif not sent:
                    refusal = _(
                        "Lien non renvoyé : rendez-vous inactif, ou nombre "
                        "d’envois du jour atteint."
                    )
                if refusal:
                    self.message_user(request, refusal, messages.ERROR)
                    return
                self.message_user(
                    request,
                    _("Lien de gestion renvoyé par SMS.")
                    if sent.channel == OutgoingMessage.Channel.SMS
                    else _("Lien de gestion renvoyé par courriel."),
                    messages.SUCCESS,
                )
                return
            else:
                raise ValueError(action)
        except (ValueError, Booking.DoesNotExist):
            self.message_user(request, _("Action impossible."), messages.ERROR)
        except CheckInRefused as refused:
            self.message_user(request, refused.reason, messages.ERROR)
        except BookingError:
            self.message_user(
                request, _("Ce rendez-vous n’est plus actif."), messages.ERROR
            )
        else:
            self.message_user(request, _("Enregistré."), messages.SUCCESS)

    def agenda_cancel_view(self, request: HttpRequest, booking_id: int) -> HttpResponse:
        """Cancels an appointment on behalf of the applicant, who is told by SMS
        (with the agent's optional message when it fits): the page names the
        appointment, and only its POST cancels."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        back_query, back = agenda_back(request)
        booking = booking_for_agenda(booking_id=booking_id)
        if booking is None or booking.status != Booking.Status.CONFIRMED:
            self.message_user(
                request, _("Ce rendez-vous n’est plus actif."), messages.ERROR
            )
            return redirect(back)
        refusal = cancel_refusal(booking, now=timezone.now())
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return redirect(back)
        form = AgendaCancelForm(request.POST or None, booking=booking)
        if request.method == "POST" and form.is_valid():
            try:
                services.booking_cancel(
                    booking_id=booking.pk,
                    now=timezone.now(),
                    by=request.user.get_username(),
                    message=form.cleaned_data["message"],
                )
            except TooLate:
                self.message_user(
                    request, cancel_refusal(booking, now=timezone.now()), messages.ERROR
                )
            except BookingError:
                self.message_user(
                    request, _("Ce rendez-vous n’est plus actif."), messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    _("Rendez-vous %(reference)s annulé ; l’usager est prévenu.")
                    % {"reference": booking.reference},
                    messages.SUCCESS,
                )
            return redirect(back)
        context = self.page_context(
            request,
            title=_("Annuler ce rendez-vous ?"),
            booking=booking,
            form=form,
            back=back,
            back_query=back_query,
        )
        return TemplateResponse(
            request, "admin/booking/booking/agenda_cancel.html", context
        )

    @admin.action(
        description=_("Annuler les rendez-vous sélectionnés"),
        permissions=["change"],
    )
    def cancel_bookings(self, request, queryset) -> HttpResponse | None:
        """Asks first, naming each appointment (a "select all" would cancel
        hundreds and send as many SMS), as the agenda's cancel does; then cancels
        exactly the appointments the page named."""
        active = queryset.filter(status=Booking.Status.CONFIRMED).order_by(
            "slot__starts_at", "pk"
        )
        if not active.exists():
            self.message_user(
                request,
                _("Aucun rendez-vous actif parmi ceux choisis : rien à annuler."),
                messages.WARNING,
            )
            return None
        count = active.count()
        inactive = queryset.count() - count
        page = ask_first(
            self,
            request,
            active.select_related("slot__site", "procedure"),
            title=_("Annuler ces rendez-vous ?"),
            describe=booking_line,
            consequence=ngettext(
                "Ce rendez-vous sera annulé et sa place libérée ; l’usager est "
                "prévenu par SMS. Cette annulation ne peut pas être défaite.",
                "Ces %(count)d rendez-vous seront annulés et leurs places libérées ; "
                "chaque usager est prévenu par SMS. Ces annulations ne peuvent pas "
                "être défaites.",
                count,
            )
            % {"count": count},
            button=ngettext(
                "Oui, annuler ce rendez-vous et prévenir l’usager",
                "Oui, annuler les %(count)d rendez-vous et prévenir les usagers",
                count,
            )
            % {"count": count},
            notes=[
                ngettext(
                    "%(count)d rendez-vous choisi n’est plus actif : il ne change pas.",
                    "%(count)d rendez-vous choisis ne sont plus actifs : ils ne "
                    "changent pas.",
                    inactive,
                )
                % {"count": inactive}
            ]
            if inactive
            else [],
            danger=True,
        )
        if page is not None:
            return page
        cancelled = 0
        for booking in active:
            try:
                services.booking_cancel(
                    booking_id=booking.pk,
                    now=timezone.now(),
                    by=request.user.get_username(),
                )
            except TooLate:
                self.message_user(
                    request,
                    _("%(reference)s : %(reason)s")
                    % {
                        "reference": booking.reference,
                        "reason": cancel_refusal(booking, now=timezone.now()),
                    },
                    messages.ERROR,
                )
            except BookingError:
                self.message_user(
                    request,
                    _("%(reference)s n’est plus actif : rien à annuler.")
                    % {"reference": booking.reference},
                    messages.ERROR,
                )
            else:
                cancelled += 1
        if cancelled:
            self.message_user(
                request,
                ngettext(
                    "%(count)d rendez-vous annulé.",
                    "%(count)d rendez-vous annulés.",
                    cancelled,
                )
                % {"count": cancelled},
                messages.SUCCESS,
            )
        return None


def booking_line(booking: Booking) -> str:
    """An appointment as the cancel page names it, in the agent's language."""
    starts_at = timezone.localtime(booking.slot.starts_at)
    return _(
        "Rendez-vous %(reference)s de %(name)s : %(procedure)s, %(site)s, le "
        "%(day)s à %(time)s."
    ) % {
        "reference": booking.reference,
        "name": f"{booking.last_name} {booking.first_name}",
        "procedure": booking.procedure.name,
        "site": booking.slot.site.name,
        "day": date_format(starts_at, "l j F Y"),
        "time": time_format(starts_at, "H:i"),
    }


def agenda_csv(bookings, day: date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="agenda-{day.isoformat()}.csv"'
    )
    # As French Excel opens a file with a double click: semicolons, and UTF-8 told
    # by its byte order mark (without it, "Préfecture" reads "PrÃ©fecture").
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        ["heure", "lieu", "demarche", "reference", "nom", "prenom", "statut"]
    )
    for booking in bookings:
        cells = [
            timezone.localtime(booking.slot.starts_at).strftime("%H:%M"),
            booking.slot.site.name,
            booking.procedure.name,  # in the agent's language, as the status
            booking.reference,
            booking.last_name,
            booking.first_name,
            booking.get_status_display(),  # the label, in the agent's language
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
    return response
