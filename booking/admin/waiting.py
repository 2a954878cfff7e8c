"""The waiting list, for agents: who waits for which démarche and site, where each
stands, their offers, and the three actions (give or clear a priority, remove from
the list), each with its reason. Requests are added by applicants only and never
deleted (the GDPR purge anonymises them)."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking import services
from booking.admin.base import NumeroEtrangerSearchMixin
from booking.admin.forms import PriorityForm, ReasonForm
from booking.admin.waiting_trail import (
    WaitingEventInline,
    WaitingMessageInline,
    WaitingOfferInline,
    half_days_words,
)
from booking.errors import WaitingError
from booking.models import (
    WaitingEvent,
    WaitingOffer,
    WaitingRequest,
)

Priority = WaitingRequest.Priority
OStatus = WaitingOffer.Status
EKind = WaitingEvent.Kind


def masked_numero(numero: str) -> str:
    """A numéro étranger fit for a list: its first two and last three digits (the
    search finds the whole numéro, the request's page shows it)."""
    if len(numero) < 6:
        return "*" * len(numero)
    return numero[:2] + "*" * (len(numero) - 5) + numero[-3:]


def _count(queryset: QuerySet, *, distinct: bool = False) -> Coalesce:
    """COUNT of a correlated subquery, as a column (0 when it has no row)."""
    template = (
        "COUNT(DISTINCT %(expressions)s)" if distinct else "COUNT(%(expressions)s)"
    )
    counted = queryset.order_by().annotate(
        n=Func(F("pk"), template=template, output_field=IntegerField())
    )
    return Coalesce(Subquery(counted.values("n")[:1]), 0)


def _slots_owner() -> Coalesce:
    """The démarche whose slots a request waits for (its own, or those it shares)."""
    return Coalesce("procedure__booking_procedure_id", "procedure_id")


def waiting_list_with_places(queryset: QuerySet) -> QuerySet:
    """The requests with, as columns: ``ahead`` (the live requests before each in
    the order of urgency that can take the same places: same slots, a site in
    common; as selectors.waiting_place counts) and the counts of their offers by
    outcome. Correlated subqueries: the page costs the same whatever its length."""
    outer = {
        name: OuterRef(name)
        for name in ("priority", "title_valid_until", "joined_at", "pk")
    }
    before = (
        Q(priority__gt=outer["priority"])
        | Q(
            priority=outer["priority"], title_valid_until__lt=outer["title_valid_until"]
        )
        | Q(
            priority=outer["priority"],
            title_valid_until=outer["title_valid_until"],
            joined_at__lt=outer["joined_at"],
        )
        | Q(
            priority=outer["priority"],
            title_valid_until=outer["title_valid_until"],
            joined_at=outer["joined_at"],
            pk__lt=outer["pk"],
        )
    )
    outer_sites = WaitingRequest.sites.through.objects.filter(
        waitingrequest_id=OuterRef(OuterRef("pk"))
    ).values("site_id")
    ahead = (
        WaitingRequest.objects.filter(status__in=WaitingRequest.LIVE)
        .annotate(owner=_slots_owner())
        .filter(before, owner=OuterRef("owner"), sites__in=outer_sites)
    )
    offers = WaitingOffer.objects.filter(request=OuterRef("pk"))
    return queryset.annotate(
        owner=_slots_owner(),
        ahead=_count(ahead, distinct=True),
        offers_sent=_count(offers),
        offers_accepted=_count(offers.filter(status=OStatus.ACCEPTED)),
        offers_declined=_count(offers.filter(status=OStatus.DECLINED)),
        offers_expired=_count(offers.filter(status=OStatus.EXPIRED)),
    )


class NoPriority(Exception):
    """ "Retirer la priorité" on a request that has none: nothing to record."""


def _who(waiting: WaitingRequest) -> str:
    return _("%(name)s (demande n° %(id)d)") % {
        "name": waiting.last_name or "—",
        "id": waiting.pk,
    }


PERSON_FIELDS = (
    "numero_etranger",
    "last_name",
    "first_name",
    "mobile",
    "email",
    "language",
    "for_relative",
)
PREFERENCE_FIELDS = (
    "procedure",
    "sites_words",
    "unavailable_words",
    "wants_earlier",
    "booking",
)
PLACE_FIELDS = (
    "status",
    "status_changed_at",
    "position",
    "title_valid_until",
    "joined_at",
    "priority",
    "priority_reason",
    "missed_offers",
    "anonymised_at",
)


@admin.register(WaitingRequest)
class WaitingRequestAdmin(NumeroEtrangerSearchMixin, admin.ModelAdmin):
    # What an agent acts on first (status, priority, offers) before the long texts:
    # on a 1280-pixel screen, with the menu and the filters, the last columns scroll.
    list_display = [
        "position",
        "numero",
        "last_name",
        "status",
        "priority_words",
        "offers_words",
        "procedure",
        "title_valid_until",
        "sites_words",
        "unavailable_words",
        "joined_at",
    ]
    list_display_links = ["numero"]
    list_filter = ["procedure", "sites", "status", "priority"]
    list_select_related = ["procedure"]
    search_fields = ["=numero_etranger", "last_name"]
    date_hierarchy = "joined_at"
    actions = ["give_priority", "clear_priority", "remove_from_list"]
    inlines = [WaitingOfferInline, WaitingMessageInline, WaitingEventInline]
    fieldsets = [
        (_("Personne"), {"fields": PERSON_FIELDS}),
        (_("Démarche et préférences"), {"fields": PREFERENCE_FIELDS}),
        (_("Place sur la liste"), {"fields": PLACE_FIELDS}),
    ]
    # Everything here is written by the services (joining, offers, the actions
    # below, the purge): the page is read, never saved.
    readonly_fields = [*PERSON_FIELDS, *PREFERENCE_FIELDS, *PLACE_FIELDS]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return waiting_list_with_places(
            super()
            .get_queryset(request)
            .select_related("procedure")
            .prefetch_related("sites")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # applicants join through the booking flow's checks

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the purge anonymises; "Retirer de la liste" takes them off

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # The change permission allows the actions on the list; a request's own
        # page is read-only (its fields belong to the services).
        return obj is None and super().has_change_permission(request)

    # --- columns

    @admin.display(description=_("rang"), ordering="ahead")
    def position(self, waiting: WaitingRequest) -> str:
        if not waiting.is_live:
            return "—"
        return str(getattr(waiting, "ahead", 0) + 1)

    @admin.display(description=_("numéro étranger"), ordering="numero_etranger")
    def numero(self, waiting: WaitingRequest) -> str:
        return masked_numero(waiting.numero_etranger) or "—"

    @admin.display(description=_("lieux possibles"))
    def sites_words(self, waiting: WaitingRequest) -> str:
        return ", ".join(site.name for site in waiting.sites.all()) or "—"

    @admin.display(description=_("demi-journées impossibles"))
    def unavailable_words(self, waiting: WaitingRequest) -> str:
        return half_days_words(waiting.unavailable_half_days)

    @admin.display(description=_("offres"), ordering="offers_sent")
    def offers_words(self, waiting: WaitingRequest) -> str:
        """The offers in one column ("2 envoyées, 1 refusée"): four columns of
        counts pushed the status and the priority off a 1280-pixel screen."""
        sent, accepted, declined, expired = (
            getattr(waiting, name, 0)
            for name in ("offers_sent", "offers_accepted", "offers_declined", "offers_expired")
        )  # fmt: skip
        words = [
            ngettext("%(n)d envoyée", "%(n)d envoyées", sent) % {"n": sent},
            ngettext("%(n)d acceptée", "%(n)d acceptées", accepted) % {"n": accepted},
            ngettext("%(n)d refusée", "%(n)d refusées", declined) % {"n": declined},
            ngettext("%(n)d sans réponse", "%(n)d sans réponse", expired)
            % {"n": expired},
        ]
        words = [
            word
            for word, n in zip(words, (sent, accepted, declined, expired), strict=True)
            if n
        ]
        return ", ".join(words) or "—"

    @admin.display(description=_("priorité"), ordering="-priority")
    def priority_words(self, waiting: WaitingRequest) -> str:
        if not waiting.priority:
            return "—"
        return _("%(level)s : %(reason)s") % {
            "level": waiting.get_priority_display(),
            "reason": waiting.priority_reason,
        }

    # --- actions

    @admin.action(description=_("Donner une priorité"), permissions=["change"])
    def give_priority(self, request: HttpRequest, queryset: QuerySet):
        def apply(waiting: WaitingRequest, data: dict, by: str) -> None:
            services.waiting_priority_set(
                request_id=waiting.pk,
                priority=data["level"],
                reason=data["reason"],
                by=by,
            )

        return self._with_reason(
            request,
            queryset,
            form_class=PriorityForm,
            action="give_priority",
            title=_("Donner une priorité"),
            apply=apply,
            done=lambda n: ngettext(
                "Priorité donnée à %(count)d demande.",
                "Priorité donnée à %(count)d demandes.",
                n,
            ),
        )

    @admin.action(description=_("Retirer la priorité"), permissions=["change"])
    def clear_priority(self, request: HttpRequest, queryset: QuerySet):
        def apply(waiting: WaitingRequest, data: dict, by: str) -> None:
            if not waiting.priority:
                raise NoPriority
            services.waiting_priority_set(
                request_id=waiting.pk,
                priority=Priority.NONE,
                reason=data["reason"],
                by=by,
            )

        return self._with_reason(
            request,
            queryset,
            form_class=ReasonForm,
            action="clear_priority",
            title=_("Retirer la priorité"),
            apply=apply,
            done=lambda n: ngettext(
                "Priorité retirée à %(count)d demande.",
                "Priorité retirée à %(count)d demandes.",
                n,
            ),
        )

    @admin.action(description=_("Retirer de la liste"), permissions=["change"])
    def remove_from_list(self, request: HttpRequest, queryset: QuerySet):
        def apply(waiting: WaitingRequest, data: dict, by: str) -> None:
            services.waiting_remove(
                request_id=waiting.pk, reason=data["reason"], by=by, now=timezone.now()
            )

        return self._with_reason(
            request,
            queryset,
            form_class=ReasonForm,
            action="remove_from_list",
            title=_("Retirer de la liste d’attente"),
            intro=_(
                "Chaque personne retirée reçoit un SMS le lui annonçant ; une place "
                "qui lui était proposée va à la suivante."
            ),
            apply=apply,
            done=lambda n: ngettext(
                "%(count)d demande retirée de la liste.",
                "%(count)d demandes retirées de la liste.",
                n,
            ),
        )

    def _with_reason(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        *,
        form_class: type[ReasonForm],
        action: str,
        title: str | Promise,
        apply: Callable[[WaitingRequest, dict, str], None],
        done: Callable[[int], str],
        intro: str | Promise = "",
    ) -> TemplateResponse | None:
        """An action that asks its reason on a page of its own first, then calls
        the service once per request and reports each refusal. Only the requests
        still on the list are named and acted on (a "select all" takes the booked
        and withdrawn ones too)."""
        queryset = queryset.filter(status__in=WaitingRequest.LIVE)
        if not queryset.exists():
            self.message_user(
                request,
                _(
                    "Aucune demande encore sur la liste parmi celles choisies : rien "
                    "n’a changé."
                ),
                messages.WARNING,
            )
            return None
        form = form_class(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "intro": intro,
                "form": form,
                "action": action,
                "requests": queryset,
                "selected_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media + form.media,
            }
            return TemplateResponse(
                request, "admin/booking/waitingrequest/action_reason.html", context
            )
        agent = request.user.get_username()
        succeeded = 0
        for waiting in queryset:
            try:
                apply(waiting, form.cleaned_data, agent)
            except NoPriority:
                self.message_user(
                    request,
                    _("%(who)s : aucune priorité à retirer.") % {"who": _who(waiting)},
                    messages.ERROR,
                )
            except WaitingError:
                self.message_user(
                    request,
                    _("%(who)s : la demande n’est plus sur la liste, rien n’a changé.")
                    % {"who": _who(waiting)},
                    messages.ERROR,
                )
            else:
                succeeded += 1
        if succeeded:
            self.message_user(
                request, done(succeeded) % {"count": succeeded}, messages.SUCCESS
            )
        return None
