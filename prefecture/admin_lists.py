"""The admin's change lists, for every app: cells edited in the list (``list_editable``)
named for screen readers."""

from django import forms
from django.utils.translation import gettext


class ListEditableForm(forms.ModelForm):
    """A row of a change list: Django gives its inputs no label (the column's
    heading is not tied to them), so each one is named by its column and its row,
    « ordre — Accueil principal »."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Each form holds its own copy of the fields and their widgets.
            field.widget.attrs["aria-label"] = gettext("%(column)s — %(row)s") % {
                "column": field.label,
                "row": self.instance,
            }


class LabelledListEditableMixin:
    """For a ModelAdmin with ``list_editable``: its list's inputs are named."""

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", ListEditableForm)
        return super().get_changelist_form(request, **kwargs)  # type: ignore[misc]
