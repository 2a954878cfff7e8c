from datetime import datetime

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from faq.models import Announcement, Category, Question
from faq.services import AnnouncementNotShown, announcement_end
from prefecture.admin_history import WordedHistoryAdmin


@admin.register(Category)
class CategoryAdmin(WordedHistoryAdmin):
    list_display = ["name_fr", "name_en", "position"]
    list_editable = ["position"]
    search_fields = ["name_fr", "name_en"]
    prepopulated_fields = {"slug": ["name_fr"]}


@admin.register(Question)
class QuestionAdmin(WordedHistoryAdmin):
    list_display = ["question_fr", "category", "position", "is_published", "updated_at"]
    list_display_links = ["question_fr"]
    list_editable = ["position", "is_published"]
    list_filter = ["is_published", "category"]
    list_select_related = ["category"]
    search_fields = ["question_fr", "question_en", "answer_fr", "answer_en", "slug"]
    prepopulated_fields = {"slug": ["question_fr"]}
    ordering = ["category__position", "position", "pk"]
    fieldsets = [
        (None, {"fields": ["category", "slug", "position", "is_published"]}),
        (_("Texte en français"), {"fields": ["question_fr", "answer_fr"]}),
        (_("Texte en anglais"), {"fields": ["question_en", "answer_en"]}),
        (None, {"fields": ["illustrations"]}),
    ]


@admin.register(Announcement)
class AnnouncementAdmin(WordedHistoryAdmin):
    list_display = ["title_fr", "level", "window", "is_active"]
    list_filter = ["level"]
    search_fields = ["title_fr", "title_en", "text_fr", "text_en"]
    date_hierarchy = "starts_at"
    actions = ["end_now"]
    fieldsets = [
        (None, {"fields": ["level", "starts_at", "ends_at"]}),
        (_("Texte en français"), {"fields": ["title_fr", "text_fr"]}),
        (_("Texte en anglais"), {"fields": ["title_en", "text_en"]}),
    ]

    @admin.display(description=_("période d'affichage"), ordering="starts_at")
    def window(self, announcement: Announcement) -> str:
        """The window in Paris time (TIME_ZONE), in words."""
        start = _moment(announcement.starts_at)
        end = _moment(announcement.ends_at)
        if start and end:
            return gettext("du %(start)s au %(end)s") % {"start": start, "end": end}
        if start:
            return gettext("à partir du %(start)s, sans fin") % {"start": start}
        if end:
            return gettext("jusqu'au %(end)s") % {"end": end}
        return gettext("sans début ni fin")

    @admin.display(boolean=True, description=_("affichée"))
    def is_active(self, announcement: Announcement) -> bool:
        return announcement.is_shown_at(timezone.now())

    @admin.action(
        description=_("Terminer l'affichage maintenant"),
        permissions=["change"],
    )
    def end_now(self, request: HttpRequest, queryset: QuerySet[Announcement]) -> None:
        now = timezone.now()
        ended = 0
        for announcement in queryset.order_by("pk"):
            try:
                announcement_end(announcement_id=announcement.pk, now=now)
            except AnnouncementNotShown:
                self.message_user(
                    request,
                    _(
                        "« %(title)s » n'est pas affichée en ce moment : rien à terminer."
                    )
                    % {"title": announcement.title_fr},
                    messages.ERROR,
                )
            else:
                ended += 1
        if ended:
            self.message_user(
                request,
                ngettext(
                    "%(count)d annonce n'est plus affichée.",
                    "%(count)d annonces ne sont plus affichées.",
                    ended,
                )
                % {"count": ended},
                messages.SUCCESS,
            )


def _moment(moment: datetime | None) -> str:
    return date_format(timezone.localtime(moment), "j F Y H:i") if moment else ""
