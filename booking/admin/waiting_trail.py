"""The waiting list's request page for agents: its offers, its messages and its trail,
read-only and in words (never the raw detail, never a link's secret)."""

from django.contrib import admin
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from booking import rules
from booking.admin.base import AuditTrailInline
from booking.models import (
    Booking,
    OutgoingMessage,
    WaitingEvent,
    WaitingOffer,
    WaitingRequest,
)
from booking.models.schedules import WEEKDAYS
from prefecture.admin_history import moment_words

Priority = WaitingRequest.Priority
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


def slot_words(slot) -> str:
    """A place: its site and its moment, in the préfecture's time."""
    return f"{slot.site.name}, {moment_words(slot.starts_at)}"


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
