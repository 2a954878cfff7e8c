"""Reference data: sites, démarches (and how their places are given: the waiting
list's mode), schedules and slots, closures, and the register (titles of residence,
with its import page)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking import selectors, services
from booking.admin.base import (
    AgentPagesMixin,
    NumeroEtrangerSearchMixin,
    WordedHistoryAdmin,
)
from booking.admin.forms import SiteForm, SlotAdminForm, TitleRecordForm
from booking.admin.imports import ImportPagesMixin
from booking.models import (
    ClosureDay,
    ImportJob,
    OpeningSchedule,
    Procedure,
    Site,
    Slot,
    TitleRecord,
    WaitingMode,
)
from prefecture.admin_site import is_row_key


@admin.register(Site)
class SiteAdmin(WordedHistoryAdmin):
    form = SiteForm
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]


WAITING_FIELDS = ["waiting_mode", "waiting_share"]
PROCEDURE_FIELDSETS = [
    (
        None,
        {
            "fields": [
                "name_fr",
                "name_en",
                "slug",
                "channel",
                "external_url",
                "booking_procedure",
                "position",
                "is_active",
            ]
        },
    ),
    (
        _("Rendez-vous"),
        {
            "fields": [
                "duration_minutes",
                "min_notice_hours",
                "max_horizon_days",
                "instructions_fr",
                "instructions_en",
            ]
        },
    ),
    (_("Liste d’attente"), {"fields": WAITING_FIELDS}),
]


class ProcedureForm(forms.ModelForm):
    """A démarche; its waiting-list mode only where it has places of its own (an
    appointment démarche that does not book another's slots)."""

    class Meta:
        model = Procedure
        fields = [
            name for _title, spec in PROCEDURE_FIELDSETS for name in spec["fields"]
        ]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        mode, share = data.get("waiting_mode"), data.get("waiting_share")
        if mode == WaitingMode.MIXED and not (share and 1 <= share <= 100):
            self.add_error(
                "waiting_share",
                _(
                    "En mode mixte, indiquez la part des places réservée à la liste "
                    "d’attente : un pourcentage de 1 à 100."
                ),
            )
        elif mode is not None and mode != WaitingMode.MIXED:
            data["waiting_share"] = 0  # meaningful in mixte only
        if mode and mode != WaitingMode.DIRECT:
            owner = data.get("booking_procedure")
            if data.get("channel") != Procedure.ChannelChoice.COUNTER:
                self.add_error(
                    "waiting_mode",
                    _(
                        "Seule une démarche avec rendez-vous au guichet a des places "
                        "à attribuer : laissez « libre choix »."
                    ),
                )
            elif owner is not None:
                self.add_error(
                    "waiting_mode",
                    _(
                        "Cette démarche prend les créneaux de « %(name)s » : réglez "
                        "l’attribution des places sur cette démarche-là."
                    )
                    % {"name": owner.name_fr},
                )
        return data


@admin.register(Procedure)
class ProcedureAdmin(WordedHistoryAdmin):
    form = ProcedureForm
    list_display = [
        "name_fr",
        "slug",
        "channel",
        "booking_procedure",
        "places_given",
        "is_active",
    ]
    list_filter = ["channel", "is_active", "waiting_mode"]
    list_select_related = ["booking_procedure"]
    search_fields = ["name_fr", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_fr"]}
    fieldsets = PROCEDURE_FIELDSETS

    @admin.display(description=_("attribution des places"), ordering="waiting_mode")
    def places_given(self, procedure: Procedure) -> str:
        if procedure.waiting_mode == WaitingMode.MIXED:
            return _("mixte (%(share)d %% pour la liste)") % {
                "share": procedure.waiting_share
            }
        if procedure.waiting_mode == WaitingMode.LIST:
            return str(_("liste d’attente"))
        return str(_("libre choix"))

    def save_model(self, request, obj, form, change) -> None:
        """The mode goes through its service, which applies it to the future slots
        (kept for the list or not) and offers what the list may now take."""
        wanted = {name: getattr(obj, name) for name in WAITING_FIELDS}
        if set(WAITING_FIELDS) & set(form.changed_data):
            for name in WAITING_FIELDS:
                setattr(obj, name, form.initial.get(name, getattr(obj, name)))
        super().save_model(request, obj, form, change)
        if set(WAITING_FIELDS) & set(form.changed_data):
            services.procedure_waiting_mode_set(
                procedure_id=obj.pk,
                mode=wanted["waiting_mode"],
                share=wanted["waiting_share"],
                now=timezone.now(),
            )
            obj.refresh_from_db()


@admin.register(OpeningSchedule)
class OpeningScheduleAdmin(WordedHistoryAdmin):
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


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = [
        "starts_at",
        "ends_at",
        "site",
        "procedure",
        "capacity",
        "published_at",
        "via_list",
    ]
    list_filter = ["site", "procedure", "via_list"]
    list_select_related = ["site", "procedure"]
    date_hierarchy = "starts_at"
    form = SlotAdminForm

    def save_model(self, request, obj, form, change) -> None:
        services.slot_save(slot=obj, is_new=not change)


@admin.register(ClosureDay)
class ClosureDayAdmin(WordedHistoryAdmin):
    """A closure hides the slots it covers at once; the appointments already on them
    are shown to the agent right after saving, to keep or to cancel (never without
    the agent's decision)."""

    list_display = ["day", "period", "site", "reason"]
    list_filter = ["site"]
    list_select_related = ["site"]
    date_hierarchy = "day"

    def save_model(self, request, obj, form, change) -> None:
        services.closure_save(closure=obj, now=timezone.now())

    def get_urls(self):
        page = path(
            "<int:pk>/rendez-vous/",
            self.admin_site.admin_view(self.bookings_view),
            name="booking_closureday_bookings",
        )
        return [page, *super().get_urls()]

    def _after_save(self, request, obj, default):
        if selectors.booking_list_closed(closure=obj).exists():
            return HttpResponseRedirect(
                reverse("admin:booking_closureday_bookings", args=[obj.pk])
            )
        return default

    def response_add(self, request, obj, post_url_continue=None):
        return self._after_save(
            request, obj, super().response_add(request, obj, post_url_continue)
        )

    def response_change(self, request, obj):
        return self._after_save(request, obj, super().response_change(request, obj))

    def bookings_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        closure = self.get_object(request, str(pk))
        if closure is None or not self.has_view_permission(request, closure):
            raise PermissionDenied
        bookings = list(selectors.booking_list_closed(closure=closure))
        can_cancel = request.user.has_perm("booking.change_booking")
        if request.method == "POST" and can_cancel:
            if request.POST.get("decision") == "cancel":
                outcome = services.closure_bookings_cancel(
                    closure=closure,
                    booking_ids=[
                        int(v) for v in request.POST.getlist("booking") if is_row_key(v)
                    ],
                    offer_new_place=request.POST.get("offer") == "1",
                    by=request.user.get_username(),
                    now=timezone.now(),
                )
                self._report(request, outcome)
            else:
                self.message_user(
                    request,
                    _("Les rendez-vous sont gardés : prévenez les usagers si besoin."),
                    messages.INFO,
                )
            return HttpResponseRedirect(reverse("admin:booking_closureday_changelist"))
        return TemplateResponse(
            request,
            "admin/booking/closureday/bookings.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Rendez-vous sur les créneaux fermés"),
                "closure": closure,
                "bookings": bookings,
                "can_cancel": can_cancel,
            },
        )

    def _report(self, request, outcome) -> None:
        if outcome.cancelled:
            self.message_user(
                request,
                ngettext(
                    "%(count)d rendez-vous annulé, l’usager prévenu par SMS.",
                    "%(count)d rendez-vous annulés, les usagers prévenus par SMS.",
                    len(outcome.cancelled),
                )
                % {"count": len(outcome.cancelled)},
                messages.SUCCESS,
            )
        if outcome.offered:
            self.message_user(
                request,
                ngettext(
                    "%(count)d personne inscrite en priorité sur la liste d’attente.",
                    "%(count)d personnes inscrites en priorité sur la liste d’attente.",
                    len(outcome.offered),
                )
                % {"count": len(outcome.offered)},
                messages.SUCCESS,
            )
        for reference, _why in outcome.failed:
            self.message_user(
                request,
                _("%(reference)s : non traité (déjà annulé, passé ou déjà inscrit).")
                % {"reference": reference},
                messages.ERROR,
            )


@admin.register(TitleRecord)
class TitleRecordAdmin(
    NumeroEtrangerSearchMixin, ImportPagesMixin, AgentPagesMixin, admin.ModelAdmin
):
    form = TitleRecordForm
    name_fields = ()  # the register holds no names
    list_display = ["numero_etranger", "title_type", "valid_until", "postal_code"]
    list_filter = ["title_type"]
    search_fields = ["=numero_etranger"]
    # The register import (same as `import_titles`), for agents.
    import_kind = ImportJob.Kind.REGISTER
    import_path = "importer/"
    import_name = "booking_titlerecord_import"
    import_title = _("Importer le registre")
    import_help = _(
        "Fichier CSV (virgules ou points-virgules, UTF-8 ou Windows-1252) ou "
        "classeur Excel (.xlsx), avec l’en-tête : numero_etranger, date_validite, "
        "code_postal, type_titre, telephone. Vous verrez d’abord ce que l’import "
        "fera, sans rien écrire. Les lignes correctes sont gardées, chaque ligne "
        "refusée est signalée avec son numéro ; réimporter le même fichier ne change "
        "rien."
    )

    def get_urls(self):
        return [*self.import_urls(), *super().get_urls()]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request)

    def allowed_pages(self, request: HttpRequest) -> set[str]:
        return (
            {"booking_titlerecord_import"}
            if self.has_import_permission(request)
            else set()
        )
