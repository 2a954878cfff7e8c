from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from booking import rules, services
from booking.errors import BookingError
from booking.models import (
    Booking,
    BookingEvent,
    Card,
    CardEvent,
    ClosureDay,
    OutgoingMessage,
    Procedure,
    Site,
    Slot,
    TitleRecord,
)
from booking.sms.base import masked


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


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "detail"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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

    def get_search_results(self, request, queryset, search_term):
        # A numéro étranger typed in any notation (9 digits, spaces, dashes).
        try:
            numero = rules.normalize_numero_etranger(search_term)
        except rules.InvalidNumero:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(numero_etranger=numero), False

    @admin.action(description=_("Annuler les rendez-vous sélectionnés"))
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


class CardEventInline(admin.TabularInline):
    model = CardEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "detail"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(Card)
class CardAdmin(SimpleHistoryAdmin):
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

    @admin.action(
        description=_("Marquer disponibles (envoie le SMS « titre disponible »)")
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


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    list_display = ["day", "site", "reason"]
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

    @admin.action(description=_("Renvoyer maintenant (échecs seulement)"))
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
