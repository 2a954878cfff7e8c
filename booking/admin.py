import csv
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from booking import rules, selectors, services
from booking.cards_import import cards_ready_from_csv
from booking.csv_rows import CsvFileError
from booking.errors import BookingError, HandoverRefused
from booking.models import (
    Booking,
    BookingEvent,
    Card,
    CardEvent,
    ClosureDay,
    OpeningSchedule,
    OutgoingMessage,
    Procedure,
    Site,
    Slot,
    TitleRecord,
)
from booking.phone import InvalidPhone, NotAMobile, normalize_mobile
from booking.register_import import titles_import
from booking.sms.base import masked
from booking.statistics import CHART_HEIGHT, statistics_for, statistics_period


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]


@admin.register(Procedure)
class ProcedureAdmin(SimpleHistoryAdmin):
    list_display = ["name_fr", "slug", "channel", "booking_procedure", "is_active"]
    list_filter = ["channel", "is_active"]
    list_select_related = ["booking_procedure"]
    search_fields = ["name_fr", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_fr"]}


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = [
        "starts_at",
        "ends_at",
        "site",
        "procedure",
        "capacity",
        "published_at",
    ]
    list_filter = ["site", "procedure"]
    list_select_related = ["site", "procedure"]
    date_hierarchy = "starts_at"


@admin.register(TitleRecord)
class TitleRecordAdmin(admin.ModelAdmin):
    list_display = ["numero_etranger", "title_type", "valid_until", "postal_code"]
    list_filter = ["title_type"]
    search_fields = ["=numero_etranger"]

    def get_urls(self):
        upload = path(
            "importer/",
            self.admin_site.admin_view(self.import_view),
            name="booking_titlerecord_import",
        )
        return [upload, *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """The register import (same as `import_titles`), for agents."""
        if not request.user.has_perm("booking.add_titlerecord"):
            raise PermissionDenied
        form = CsvUploadForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = titles_import(data=form.cleaned_data["file"].read())
            except CsvFileError as error:
                form.add_error("file", str(error))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Importer le registre"),
            "form": form,
            "report": report,
        }
        return TemplateResponse(
            request, "admin/booking/titlerecord/import.html", context
        )


class AuditTrailInline(admin.TabularInline):
    """An audit trail: read, never written by hand."""

    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "detail"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class BookingEventInline(AuditTrailInline):
    model = BookingEvent


@admin.register(Booking)
class BookingAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "slot", "procedure", "last_name", "status"]
    list_filter = ["status", "slot__site", "procedure"]
    list_select_related = ["slot", "slot__procedure", "procedure"]
    search_fields = ["=reference", "=numero_etranger", "last_name"]
    date_hierarchy = "slot__starts_at"
    inlines = [BookingEventInline]
    actions = ["cancel_bookings"]
    readonly_fields = [
        "reference",
        "slot",
        "procedure",
        "numero_etranger",
        "status",
        "created_at",
        "updated_at",
        "confirmation_email_sent_at",
    ]

    def has_add_permission(self, request) -> bool:
        # Appointments are taken through the booking flow and its rules.
        return False

    def get_urls(self):
        agenda = path(
            "agenda/",
            self.admin_site.admin_view(self.agenda_view),
            name="booking_booking_agenda",
        )
        statistics = path(
            "statistiques/",
            self.admin_site.admin_view(self.statistics_view),
            name="booking_booking_statistics",
        )
        return [agenda, statistics, *super().get_urls()]

    def statistics_view(self, request: HttpRequest) -> HttpResponse:
        """Supervisors' figures: appointments per day and démarche, no-show rate, next
        free slot, SMS outcomes, cards waiting; charts in SVG with the same numbers as
        tables (read by screen readers)."""
        if not request.user.has_perm("booking.view_statistics"):
            raise PermissionDenied
        now = timezone.now()
        first_day, last_day = statistics_period(
            request.GET, today=timezone.localdate(now)
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Statistiques"),
            "stats": statistics_for(first_day=first_day, last_day=last_day, now=now),
            "chart_height": CHART_HEIGHT,
        }
        return TemplateResponse(
            request, "admin/booking/booking/statistics.html", context
        )

    def agenda_view(self, request: HttpRequest) -> HttpResponse:
        """The day's appointments of a site: check-in, no-show, cancel on behalf of
        the applicant (who is told by SMS), flag a doubtful numéro; CSV export."""
        if not request.user.has_perm("booking.view_booking"):
            raise PermissionDenied
        can_change = request.user.has_perm("booking.change_booking")
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            self._agenda_action(request)
            return redirect(request.get_full_path())
        try:
            day = date.fromisoformat(request.GET.get("day", ""))
        except ValueError:
            day = timezone.localdate()
        site_id = (
            int(request.GET["site"]) if request.GET.get("site", "").isdigit() else None
        )
        query = request.GET.get("q", "").replace("\x00", "").strip()[:80]
        bookings = selectors.booking_list_for_day(site_id=site_id, day=day, query=query)
        if request.GET.get("format") == "csv":
            return agenda_csv(bookings, day)
        params = request.GET.copy()
        params["format"] = "csv"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Agenda du jour"),
            "bookings": list(bookings),
            "sites": selectors.site_list_active(),
            "site_id": site_id,
            "day": day,
            "query": query,
            "csv_query": params.urlencode(),
            "can_change": can_change,
        }
        return TemplateResponse(request, "admin/booking/booking/agenda.html", context)

    def _agenda_action(self, request: HttpRequest) -> None:
        agent = request.user.get_username()
        action = request.POST.get("do")
        try:
            booking_id = int(request.POST.get("booking", ""))
            if action in ("present", "absent"):
                services.booking_check_in(
                    booking_id=booking_id, by=agent, present=action == "present"
                )
            elif action == "cancel":
                services.booking_cancel(
                    booking_id=booking_id, now=timezone.now(), by=agent
                )
            elif action == "flag":
                services.booking_flag_numero(
                    booking_id=booking_id, by=agent, note=request.POST.get("note", "")
                )
            else:
                raise ValueError(action)
        except (ValueError, Booking.DoesNotExist):
            self.message_user(request, _("Action impossible."), messages.ERROR)
        except BookingError:
            self.message_user(
                request, _("Ce rendez-vous n’est plus actif."), messages.ERROR
            )
        else:
            self.message_user(request, _("Enregistré."), messages.SUCCESS)

    def get_search_results(self, request, queryset, search_term):
        # A numéro étranger typed in any notation (9 digits, spaces, dashes).
        try:
            numero = rules.normalize_numero_etranger(search_term)
        except rules.InvalidNumero:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(numero_etranger=numero), False

    @admin.action(
        description=_("Annuler les rendez-vous sélectionnés"),
        permissions=["change"],
    )
    def cancel_bookings(self, request, queryset) -> None:
        cancelled = 0
        for booking in queryset:
            try:
                services.booking_cancel(
                    booking_id=booking.pk,
                    now=timezone.now(),
                    by=request.user.get_username(),
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


class CardEventInline(AuditTrailInline):
    model = CardEvent


class CardMessageInline(admin.TabularInline):
    model = OutgoingMessage
    fk_name = "card"
    extra = 0
    can_delete = False
    fields = ["kind", "status", "attempts", "sent_at", "delivered_at", "last_error"]
    readonly_fields = [
        "kind",
        "status",
        "attempts",
        "sent_at",
        "delivered_at",
        "last_error",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def agenda_csv(bookings, day: date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="agenda-{day.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        ["heure", "lieu", "demarche", "reference", "nom", "prenom", "statut"]
    )
    for booking in bookings:
        writer.writerow(
            [
                timezone.localtime(booking.slot.starts_at).strftime("%H:%M"),
                booking.slot.site.name,
                booking.procedure.name_fr,
                booking.reference,
                booking.last_name,
                booking.first_name,
                booking.status,
            ]
        )
    return response


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("Fichier CSV"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("Fichier trop volumineux (10 Mo au plus)."))
        return upload


class CardForm(forms.ModelForm):
    # Any notation is accepted (spaces, dots, 9 digits), then normalised.
    numero_etranger = forms.CharField(label=_("numéro étranger"), max_length=40)

    class Meta:
        model = Card
        fields = [
            "numero_etranger",
            "last_name",
            "first_name",
            "mobile",
            "language",
            "site",
        ]

    def clean_numero_etranger(self) -> str:
        try:
            return rules.normalize_numero_etranger(self.cleaned_data["numero_etranger"])
        except rules.InvalidNumero:
            raise forms.ValidationError(
                _(
                    "Numéro étranger invalide : 10 chiffres (9 pour une carte d’avant 2017)."
                )
            ) from None

    def clean_mobile(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["mobile"])
        except NotAMobile:
            raise forms.ValidationError(
                _("C’est un numéro de téléphone fixe : il ne peut pas recevoir de SMS.")
            ) from None
        except InvalidPhone:
            raise forms.ValidationError(
                _("Numéro de téléphone portable invalide.")
            ) from None


@admin.register(Card)
class CardAdmin(SimpleHistoryAdmin):
    form = CardForm
    list_display = [
        "numero_etranger",
        "last_name",
        "first_name",
        "site",
        "status",
        "ready_at",
    ]
    list_filter = ["status", "site"]
    list_select_related = ["site"]
    search_fields = ["=numero_etranger", "last_name"]
    readonly_fields = [
        "status",
        "ready_at",
        "handed_over_at",
        "created_at",
        "updated_at",
    ]
    inlines = [CardMessageInline, CardEventInline]
    actions = ["mark_ready"]

    def get_search_results(self, request, queryset, search_term):
        try:
            numero = rules.normalize_numero_etranger(search_term)
        except rules.InvalidNumero:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(numero_etranger=numero), False

    def get_urls(self):
        desk = path(
            "remise/",
            self.admin_site.admin_view(self.desk_view),
            name="booking_card_desk",
        )
        delivery = path(
            "livraison/",
            self.admin_site.admin_view(self.delivery_view),
            name="booking_card_delivery",
        )
        return [desk, delivery, *super().get_urls()]

    def delivery_view(self, request: HttpRequest) -> HttpResponse:
        """The delivery list from production, uploaded: same as `cards_ready`."""
        if not request.user.has_perm("booking.change_card"):
            raise PermissionDenied
        form = CsvUploadForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = cards_ready_from_csv(
                    data=form.cleaned_data["file"].read(),
                    by=request.user.get_username(),
                    now=timezone.now(),
                )
            except CsvFileError as error:
                form.add_error("file", str(error))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Liste de livraison"),
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/booking/card/delivery.html", context)

    def desk_view(self, request: HttpRequest) -> HttpResponse:
        """The collection desk ("Remise des titres"): find a card, see its SMS,
        record the handover (refused outside the rules unless overridden)."""
        if not request.user.has_perm("booking.hand_over_card"):
            raise PermissionDenied
        can_override = request.user.has_perm("booking.override_handover")
        raw = request.POST.get("q") or request.GET.get("q") or ""
        query = raw.replace("\x00", "").strip()[:80]  # PostgreSQL refuses NUL
        if request.method == "POST":
            override = "override" in request.POST and can_override
            try:
                card_id = int(request.POST.get("card", ""))
                services.card_hand_over(
                    card_id=card_id,
                    by=request.user.get_username(),
                    now=timezone.now(),
                    override_reason=request.POST.get("reason", "") if override else "",
                )
            except (ValueError, Card.DoesNotExist):
                self.message_user(request, _("Titre introuvable."), messages.ERROR)
            except HandoverRefused as refused:
                self.message_user(
                    request,
                    _("Remise refusée : %(reason)s.") % {"reason": refused.reason},
                    messages.ERROR,
                )
            else:
                self.message_user(request, _("Remise enregistrée."), messages.SUCCESS)
            return redirect(
                f"{reverse('admin:booking_card_desk')}?{urlencode({'q': query})}"
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Remise des titres"),
            "query": query,
            "cards": selectors.card_list_for_desk(query=query) if query else [],
            "can_override": can_override,
        }
        return TemplateResponse(request, "admin/booking/card/desk.html", context)

    @admin.action(
        description=_("Marquer disponibles (envoie le SMS « titre disponible »)"),
        permissions=["change"],
    )
    def mark_ready(self, request, queryset) -> None:
        report = services.card_mark_ready(
            card_ids=list(queryset.values_list("pk", flat=True)),
            by=request.user.get_username(),
            now=timezone.now(),
        )
        if report.ready:
            self.message_user(
                request,
                ngettext(
                    "%(count)d titre marqué disponible : son SMS part.",
                    "%(count)d titres marqués disponibles : leurs SMS partent.",
                    len(report.ready),
                )
                % {"count": len(report.ready)},
                messages.SUCCESS,
            )
        if report.already:
            self.message_user(
                request,
                ngettext(
                    "%(count)d titre n’était plus en production : aucun SMS renvoyé.",
                    "%(count)d titres n’étaient plus en production : aucun SMS renvoyé.",
                    len(report.already),
                )
                % {"count": len(report.already)},
                messages.WARNING,
            )


@admin.register(OpeningSchedule)
class OpeningScheduleAdmin(SimpleHistoryAdmin):
    list_display = [
        "site",
        "procedure",
        "weekday",
        "starts",
        "ends",
        "slot_minutes",
        "places",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["site", "procedure", "weekday"]
    list_select_related = ["site", "procedure"]
    actions = ["open_slots"]

    @admin.action(
        description=_("Ouvrir les créneaux jusqu’à l’horizon de réservation"),
        permissions=["add"],
    )
    def open_slots(self, request, queryset) -> None:
        report = services.slots_generate(
            now=timezone.now(), schedule_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d créneau ouvert.",
                "%(count)d créneaux ouverts.",
                report.created,
            )
            % {"count": report.created},
            messages.SUCCESS,
        )


@admin.register(ClosureDay)
class ClosureDayAdmin(SimpleHistoryAdmin):
    list_display = ["day", "period", "site", "reason"]
    list_filter = ["site"]
    list_select_related = ["site"]
    date_hierarchy = "day"


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "recipient",
        "status",
        "attempts",
        "possible_duplicates",
        "last_error",
        "provider_id",
        "sent_at",
        "delivered_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["=provider_id", "=idempotency_key"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    exclude = ["to"]
    readonly_fields = [
        "idempotency_key",
        "kind",
        "card",
        "booking",
        "recipient",
        "body",
        "status",
        "send_after",
        "attempts",
        "possible_duplicates",
        "last_error",
        "provider_id",
        "claimed_at",
        "sent_at",
        "delivered_at",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("destinataire"))
    def recipient(self, message: OutgoingMessage) -> str:
        return masked(message.to)

    @admin.action(
        description=_("Renvoyer maintenant (échecs seulement)"),
        permissions=["change"],
    )
    def retry_now(self, request, queryset) -> None:
        count = services.messages_retry(
            message_ids=list(queryset.values_list("pk", flat=True)), now=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d SMS remis en file.", "%(count)d SMS remis en file.", count
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
