"""The page that asks before a bulk action that texts people (cancel appointments,
mark cards ready): it names what will change, and acts only on what it named.

The page sends back the selection as the change list sent it (the ticked rows, or
"all N" with the list's filters in the URL), not one field per row: a "select all"
of thousands of rows would pass Django's limit on form fields. A fingerprint of
the rows it named travels with it; if the rows differ when the agent confirms
(a card marked by a colleague, a new booking in the filter), the page asks again."""

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The page names this many rows, then says how many more: enough to check a
# selection by eye, few enough for a page.
NAMED_ROWS = 50
# What the page adds to the change list's POST; everything else is sent back.
OWN_FIELDS = {"csrfmiddlewaretoken", "post", "selection"}


def selection_key(pks: Iterable[int]) -> str:
    return hashlib.sha256(",".join(map(str, sorted(pks))).encode()).hexdigest()[:32]


def ask_first(
    modeladmin: Any,
    request: HttpRequest,
    chosen: QuerySet,
    *,
    title: str | Promise,
    describe: Callable[[Any], str],
    consequence: str,
    button: str,
    notes: Iterable[str] = (),
    danger: bool = False,
) -> TemplateResponse | None:
    """None when the agent confirmed exactly ``chosen`` (act now); otherwise the
    page that names it and asks (again, with a warning, if it changed since)."""
    key = selection_key(chosen.values_list("pk", flat=True))
    if request.POST.get("post") == "yes":
        if request.POST.get("selection") == key:
            return None
        modeladmin.message_user(
            request,
            _(
                "La sélection a changé depuis votre choix (un collègue a pu agir) : "
                "vérifiez-la ci-dessous avant de confirmer."
            ),
            messages.WARNING,
        )
    total = chosen.count()
    named = [describe(row) for row in chosen[:NAMED_ROWS]]
    context = modeladmin.page_context(
        request,
        title=title,
        named=named,
        unnamed=total - len(named),
        consequence=consequence,
        notes=list(notes),
        button=button,
        danger=danger,
        selection=key,
        carried=[
            (name, value)
            for name, values in request.POST.lists()
            if name not in OWN_FIELDS
            for value in values
        ],
        back=f"{request.path}?{request.GET.urlencode()}",
    )
    return TemplateResponse(request, "admin/booking/confirm_action.html", context)
