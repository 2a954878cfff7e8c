"""What every admin page shows of a moment or a value, in the agent's words: Paris
time, a choice's label, yes or no; and django-simple-history's history page written
that way (the booking desks' and the FAQ's)."""

from datetime import date, datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from prefecture.admin_lists import LabelledListEditableMixin


def moment_words(moment: datetime | None) -> str:
    """A moment in the préfecture's time (Europe/Paris), as the admin writes dates."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment, timezone.get_default_timezone())
    return formats.date_format(local, "DATETIME_FORMAT")


def value_words(field: Any, value: Any) -> str:
    """A field's value as an agent reads it: a choice's label, yes or no, a moment in
    Paris time, a date as the admin writes it, "—" for nothing."""
    if value is None or value == "":
        return "—"
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("oui") if value else gettext("non")
    if isinstance(value, datetime):
        return moment_words(value)
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


class WordedHistoryContext(HistoricalRecordContextHelper):
    """A history's changes in words (labels, Paris times), not stored codes
    ("confirmed → no_show", "False → True")."""

    def prepare_delta_change_value(self, change, value) -> Any:
        field = self.model._meta.get_field(change.field)
        if field.many_to_many:
            return super().prepare_delta_change_value(change, value)
        return value_words(field, value)


class WordedHistoryAdmin(LabelledListEditableMixin, SimpleHistoryAdmin):
    """django-simple-history's history page, in the agent's words and language;
    the cells edited in its list named for screen readers (the sites' order)."""

    object_history_list_template = "admin/history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return WordedHistoryContext(self.model, historical_record)
