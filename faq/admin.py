from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from faq.models import Announcement, Category, Question
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
    ]


@admin.register(Announcement)
class AnnouncementAdmin(WordedHistoryAdmin):
    list_display = ["title_fr", "level", "starts_at", "ends_at", "is_active"]
    list_filter = ["level"]
    search_fields = ["title_fr", "title_en", "text_fr", "text_en"]
    date_hierarchy = "starts_at"
    fieldsets = [
        (None, {"fields": ["level", "starts_at", "ends_at"]}),
        (_("Texte en français"), {"fields": ["title_fr", "text_fr"]}),
        (_("Texte en anglais"), {"fields": ["title_en", "text_en"]}),
    ]

    @admin.display(boolean=True, description=_("affichée"))
    def is_active(self, announcement: Announcement) -> bool:
        now = timezone.now()
        return announcement.starts_at <= now and (
            announcement.ends_at is None or announcement.ends_at > now
        )
