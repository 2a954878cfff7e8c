"""What every desk of the admin shares: the read-only audit trail, the search by
numéro étranger, and the custom pages' context and permission hook."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise
from simple_history.admin import SimpleHistoryAdmin

from booking import rules


class AuditTrailInline(admin.TabularInline):
    """An audit trail: read, never written by hand."""

    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "detail"]

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
    (9 or 10 digits, spaces, dots, dashes); anything else is searched as usual."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        try:
            numero = rules.normalize_numero_etranger(search_term)
        except rules.InvalidNumero:
            return super().get_search_results(  # type: ignore[misc]
                request, queryset, search_term
            )
        return queryset.filter(numero_etranger=numero), False


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


class ServiceHistoryAdmin(SimpleHistoryAdmin):
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
