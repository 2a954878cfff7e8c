"""What every desk of the admin shares: the read-only audit trail, the search by
numéro étranger, and the custom pages' context and permission hook."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Value
from django.db.models.lookups import Contains
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from booking import rules
from booking.models import Booking, Slot
from prefecture.admin_history import WordedHistoryAdmin, moment_words
from prefecture.text_fold import fold, folded


def _slot_words(slot_id: Any) -> str:
    slot = (
        Slot.objects.select_related("site").filter(pk=slot_id).first()
        if isinstance(slot_id, int) and not isinstance(slot_id, bool)
        else None
    )
    if slot is None:
        return gettext("créneau supprimé")
    return f"{slot.site.name}, {moment_words(slot.starts_at)}"


def _booking_words(booking_id: Any) -> str:
    reference = (
        Booking.objects.filter(pk=booking_id)
        .values_list("reference", flat=True)
        .first()
        if isinstance(booking_id, int) and not isinstance(booking_id, bool)
        else None
    )
    return reference or gettext("rendez-vous supprimé")


def detail_words(detail: Any) -> str:
    """An audit event's detail in words for agents (never the raw JSON): the slots
    named by their place and Paris time, the booking by its reference, the note, the
    motive and the rules set aside."""
    if not isinstance(detail, dict) or not detail:
        return "—"
    parts: list[str] = []
    if "from" in detail or "to" in detail:
        parts.append(
            gettext("de %(before)s à %(after)s")
            % {
                "before": _slot_words(detail.get("from")),
                "after": _slot_words(detail.get("to")),
            }
        )
    if "slot" in detail:
        parts.append(
            gettext("créneau : %(slot)s") % {"slot": _slot_words(detail["slot"])}
        )
    if "booking" in detail:
        parts.append(
            gettext("rendez-vous : %(reference)s")
            % {"reference": _booking_words(detail["booking"])}
        )
    if "offer" in detail:
        parts.append(gettext("proposition n° %(number)s") % {"number": detail["offer"]})
    if detail.get("note"):
        parts.append(gettext("note : %(note)s") % {"note": detail["note"]})
    if detail.get("reason"):
        parts.append(gettext("motif : %(reason)s") % {"reason": detail["reason"]})
    if detail.get("refusals"):
        refusals = detail["refusals"]
        listed = (
            "; ".join(str(item) for item in refusals)
            if isinstance(refusals, list)
            else str(refusals)
        )
        parts.append(gettext("règles levées : %(rules)s") % {"rules": listed})
    return " ; ".join(str(part) for part in parts) or "—"


class AuditTrailInline(admin.TabularInline):
    """An audit trail: read, never written by hand, and in words: the event's label,
    the moment in Paris time, the detail worded (never raw JSON), no row headed by
    the event's internal name."""

    template = "admin/edit_inline/audit_tabular.html"
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "what"]
    readonly_fields = ["at", "kind", "actor", "what"]

    @admin.display(description=_("détail"))
    def what(self, event) -> str:
        return detail_words(event.detail)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        # The trail belongs to its subject: whoever may see the appointment or the
        # card sees its events (no role is given the events' own permissions).
        opts = self.parent_model._meta
        return any(
            request.user.has_perm(
                f"{opts.app_label}.{get_permission_codename(action, opts)}"
            )
            for action in ("view", "change")
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class NumeroEtrangerSearchMixin:
    """The change list's search finds a numéro étranger typed in any notation
    (9 or 10 digits, spaces, dots, dashes), and a name typed without its accents
    or capitals ("elodie" finds "Élodie", as at the desk and in the agenda);
    anything else is searched as usual (``search_fields``)."""

    name_fields: tuple[str, ...] = ("last_name", "first_name")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        try:
            numero = rules.normalize_numero_etranger(search_term)
        except rules.InvalidNumero:
            pass
        else:
            return queryset.filter(numero_etranger=numero), False
        found, duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        term = fold(" ".join(search_term.split()))
        if not term or not self.name_fields:
            return found, duplicates
        names = Q()
        for name in self.name_fields:
            names |= Q(Contains(folded(name), Value(term)))
        return found | queryset.filter(names), duplicates


class AgentPagesMixin:
    """A ModelAdmin with pages of its own (agenda, desk, imports...).

    Each page checks a named ``has_*_permission(request)`` method; ``allowed_pages``
    lists the URL names of the pages the agent may open, from those same methods,
    and the admin site hands them to every template (``agent_pages``) so that a
    link is shown exactly to the agents who may follow it."""

    admin_site: admin.AdminSite
    model: Any

    def allowed_pages(self, request: HttpRequest) -> set[str]:
        return set()

    def page_context(
        self, request: HttpRequest, *, title: str | Promise, **extra
    ) -> dict:
        """The context every custom page starts from: the admin's own, the model's
        options (breadcrumbs) and the page title."""
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def has_model_permission(self, request: HttpRequest, codename: str) -> bool:
        """An app-level permission of this model's app (``view_statistics``...)."""
        return request.user.has_perm(f"{self.model._meta.app_label}.{codename}")


class ServiceHistoryAdmin(WordedHistoryAdmin):
    """A model whose statuses and flags are written by services, with their audit
    events: its history (django-simple-history) is read, never reverted, since a
    revert saves an old version whole (status included) behind the services' back."""

    def revert_disabled(self, request: HttpRequest, obj=None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id, version_id, extra_context=None
    ):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
