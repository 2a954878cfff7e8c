"""The waiting list, for agents: who waits for which démarche and site, where each
stands, their offers, and the three actions (give or clear a priority, remove from
the list), each with its reason. Requests are added by applicants only and never
deleted (the GDPR purge anonymises them)."""

from collections.abc import Callable
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking import rules, services
from booking.admin.base import AuditTrailInline, NumeroEtrangerSearchMixin
from booking.errors import WaitingError
from booking.models import (
    Booking,
    OutgoingMessage,
    WaitingEvent,
    WaitingOffer,
    WaitingRequest,
)
from booking.models.schedules import WEEKDAYS

Priority = WaitingRequest.Priority
OStatus = WaitingOffer.Status
EKind = WaitingEvent.Kind


def half_day_words(code: str) -> str:
    """ "mon-am" in words: "lundi matin"."""
    index = rules.HALF_DAY_CODES.index(code)
    return _("%(day)s %(part)s") % {
        "day": dict(WEEKDAYS)[index // 2],
        "part": _("matin") if index % 2 == 0 else _("après-midi"),
    }


def half_days_words(mask: int) -> str:
    codes = rules.half_days_codes(mask)
    return ", ".join(half_day_words(code) for code in codes) if codes else "—"


def masked_numero(numero: str) -> str:
    """A numéro étranger fit for a list: its first two and last three digits (the
    search finds the whole numéro, the request's page shows it)."""
    if len(numero) < 6:
        return "*" * len(numero)
    return numero[:2] + "*" * (len(numero) - 5) + numero[-3:]


def moment_words(moment: datetime | None) -> str:
    """A moment in the préfecture's time, as the admin writes dates."""
    if moment is None:
        return "—"
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


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


def slot_words(slot) -> str:
    """A place: its site and its moment, in the préfecture's time."""
    return f"{slot.site.name}, {moment_words(slot.starts_at)}"


class NoPriority(Exception):
    """ "Retirer la priorité" on a request that has none: nothing to record."""


def _who(waiting: WaitingRequest) -> str:
    return _("%(name)s (demande n° %(id)d)") % {
        "name": waiting.last_name or "—",
        "id": waiting.pk,
    }


class WaitingOfferInline(AuditTrailInline):
    """The places offered to the request (read-only; the link's secret never
    shown)."""

    model = WaitingOffer
    fields = ["place", "status", "offered_at", "expires_at", "answered_at"]
    readonly_fields = ["place", "status", "offered_at", "expires_at", "answered_at"]
    ordering = ["offered_at", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("slot__site")

    @admin.display(description=_("place"))
    def place(self, offer: WaitingOffer) -> str:
        return slot_words(offer.slot)


class WaitingEventInline(AuditTrailInline):
    """The request's trail, in words (never the raw detail)."""

    model = WaitingEvent
    fields = ["at", "kind", "actor", "what"]
    readonly_fields = ["at", "kind", "actor", "what"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._offers: dict[int, WaitingOffer] = {}
        self._bookings: dict[int, str] = {}
        self._loaded: int | None = None

    def _load(self, event: WaitingEvent) -> None:
        """The offers and appointments the trail names, fetched once per page."""
        if self._loaded == event.request_id:
            return
        self._loaded = event.request_id
        self._offers = {
            offer.pk: offer
            for offer in WaitingOffer.objects.filter(
                request_id=event.request_id
            ).select_related("slot__site")
        }
        details = WaitingEvent.objects.filter(request_id=event.request_id).values_list(
            "detail", flat=True
        )
        ids = {
            found
            for detail in details
            if (found := _detail_id(detail, "booking")) is not None
        }
        self._bookings = dict(
            Booking.objects.filter(pk__in=ids).values_list("pk", "reference")
        )

    @admin.display(description=_("détail"))
    def what(self, event: WaitingEvent) -> str:
        self._load(event)
        detail = event.detail if isinstance(event.detail, dict) else {}
        parts: list[str | Promise] = []
        offer = self._offers.get(_detail_id(detail, "offer") or 0)
        if offer is not None:
            parts.append(_("place : %(place)s") % {"place": slot_words(offer.slot)})
        reference = self._bookings.get(_detail_id(detail, "booking") or 0)
        if reference:
            parts.append(_("rendez-vous %(reference)s") % {"reference": reference})
        if event.kind == EKind.JOINED:
            parts += self._joined_words(detail)
        if event.kind == EKind.PRIORITY:
            parts.append(
                _("priorité : %(from)s → %(to)s")
                % {
                    "from": _priority_label(detail.get("from")),
                    "to": _priority_label(detail.get("to")),
                }
            )
        if detail.get("reason"):
            parts.append(_("motif : %(reason)s") % {"reason": detail["reason"]})
        return " ; ".join(str(part) for part in parts) or "—"

    def _joined_words(self, detail: dict) -> list[str | Promise]:
        parts: list[str | Promise] = []
        written = detail.get("unavailable")
        codes = [
            code
            for code in (written if isinstance(written, list) else [])
            if code in rules.HALF_DAY_CODES
        ]
        if codes:
            parts.append(
                _("demi-journées impossibles : %(half_days)s")
                % {"half_days": ", ".join(half_day_words(c) for c in codes)}
            )
        if detail.get("earlier_than"):
            parts.append(_("pour avancer un rendez-vous"))
        return parts


def _detail_id(detail, key: str) -> int | None:
    """An id the service wrote in an event's detail (anything else: none)."""
    value = detail.get(key) if isinstance(detail, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _priority_label(value) -> str:
    try:
        return str(Priority(value).label)
    except ValueError:
        return "—"


class WaitingMessageInline(admin.TabularInline):
    """The SMS and e-mails sent to the person (their texts stay in the outbox:
    an offer's text carries the link that accepts the place)."""

    model = OutgoingMessage
    fk_name = "waiting_request"
    extra = 0
    can_delete = False
    fields = ["kind", "channel", "status", "created_at", "sent_at"]
    readonly_fields = ["kind", "channel", "status", "created_at", "sent_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Gardé dans l’historique de la demande (300 caractères au plus)."),
    )


class PriorityForm(ReasonForm):
    level = forms.TypedChoiceField(
        label=_("Priorité"),
        choices=[(Priority.HIGH.value, Priority.HIGH.label),
                 (Priority.URGENT.value, Priority.URGENT.label)],
        coerce=int,
        widget=forms.RadioSelect,
    )  # fmt: skip

    field_order = ["level", "reason"]


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
    list_display = [
        "position",
        "numero",
        "last_name",
        "procedure",
        "sites_words",
        "unavailable_words",
        "title_valid_until",
        "status",
        "joined_at",
        "offers_sent",
        "offers_accepted",
        "offers_declined",
        "offers_expired",
        "priority_words",
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
    def offers_sent(self, waiting: WaitingRequest) -> int:
        return getattr(waiting, "offers_sent", 0)

    @admin.display(description=_("acceptées"))
    def offers_accepted(self, waiting: WaitingRequest) -> int:
        return getattr(waiting, "offers_accepted", 0)

    @admin.display(description=_("refusées"))
    def offers_declined(self, waiting: WaitingRequest) -> int:
        return getattr(waiting, "offers_declined", 0)

    @admin.display(description=_("sans réponse"))
    def offers_expired(self, waiting: WaitingRequest) -> int:
        return getattr(waiting, "offers_expired", 0)

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
        the service once per request and reports each refusal."""
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
