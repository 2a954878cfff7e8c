"""Reference data: sites, démarches, schedules and slots, closures, and the register
(titles of residence, with its import page)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from booking import services
from booking.admin.base import AgentPagesMixin
from booking.admin.forms import CsvUploadForm, SiteForm
from booking.models import (
    ClosureDay,
    OpeningSchedule,
    Procedure,
    Site,
    Slot,
    TitleRecord,
)
from booking.services.csv_rows import CsvFileError
from booking.services.register import titles_import


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    form = SiteForm
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]


@admin.register(Procedure)
class ProcedureAdmin(SimpleHistoryAdmin):
    list_display = ["name_fr", "slug", "channel", "booking_procedure", "is_active"]
    list_filter = ["channel", "is_active"]
    list_select_related = ["booking_procedure"]
    search_fields = ["name_fr", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_fr"]}


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


@admin.register(ClosureDay)
class ClosureDayAdmin(SimpleHistoryAdmin):
    list_display = ["day", "period", "site", "reason"]
    list_filter = ["site"]
    list_select_related = ["site"]
    date_hierarchy = "day"


@admin.register(TitleRecord)
class TitleRecordAdmin(AgentPagesMixin, admin.ModelAdmin):
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

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request)

    def allowed_pages(self, request: HttpRequest) -> set[str]:
        return (
            {"booking_titlerecord_import"}
            if self.has_import_permission(request)
            else set()
        )

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """The register import (same as `import_titles`), for agents."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = CsvUploadForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = titles_import(data=form.cleaned_data["file"].read())
            except CsvFileError as error:
                form.add_error("file", str(error))
        context = self.page_context(
            request, title=_("Importer le registre"), form=form, report=report
        )
        return TemplateResponse(
            request, "admin/booking/titlerecord/import.html", context
        )
