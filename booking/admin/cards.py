"""Cards and the collection desk ("Remise des titres"), and the delivery list."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking import selectors, services
from booking.admin.base import (
    AgentPagesMixin,
    AuditTrailInline,
    NumeroEtrangerSearchMixin,
    ServiceHistoryAdmin,
)
from booking.admin.confirm import ask_first
from booking.admin.forms import CardForm
from booking.admin.imports import ImportPagesMixin
from booking.admin.outbox import error_words
from booking.errors import HandoverRefused
from booking.models import (
    Card,
    CardEvent,
    ImportJob,
    OutgoingMessage,
)


class CardEventInline(AuditTrailInline):
    model = CardEvent


class CardMessageInline(admin.TabularInline):
    model = OutgoingMessage
    template = AuditTrailInline.template  # no row headed by the internal key
    fk_name = "card"
    extra = 0
    can_delete = False
    fields = ["kind", "status", "attempts", "sent_at", "delivered_at", "why"]
    readonly_fields = ["kind", "status", "attempts", "sent_at", "delivered_at", "why"]

    @admin.display(description=_("dernière erreur"))
    def why(self, message: OutgoingMessage) -> str:
        return error_words(message.last_error)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Card)
class CardAdmin(
    NumeroEtrangerSearchMixin, ImportPagesMixin, AgentPagesMixin, ServiceHistoryAdmin
):
    form = CardForm
    list_display = [
        "numero_etranger",
        "last_name",
        "first_name",
        "site",
        "status",
        "ready_at",
    ]
    list_filter = ["status", "site"]
    list_select_related = ["site"]
    search_fields = ["=numero_etranger", "last_name"]
    readonly_fields = [
        "status",
        "ready_at",
        "handed_over_at",
        "created_at",
        "updated_at",
    ]
    inlines = [CardMessageInline, CardEventInline]
    actions = ["mark_ready"]
    # The delivery list from production, uploaded: same as `cards_ready`.
    import_kind = ImportJob.Kind.DELIVERY
    import_path = "livraison/"
    import_name = "booking_card_delivery"
    import_title = _("Liste de livraison")
    import_help = _(
        "Fichier CSV (virgules ou points-virgules, UTF-8 ou Windows-1252) ou "
        "classeur Excel (.xlsx), avec l’en-tête : numero_etranger, nom, prenom, "
        "telephone, site (site facultatif). Vous verrez d’abord ce que l’import "
        "fera, sans rien écrire ; une fois confirmé, chaque titre est marqué "
        "disponible et son SMS part une seule fois, même si le fichier est importé "
        "deux fois."
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # Once recorded, a card is known by its numéro and its collection place
        # (its SMS names the place): only the holder's contact details change.
        return ["numero_etranger", "site", *self.readonly_fields]

    def save_model(self, request, obj, form, change) -> None:
        """Through the services: a card added here gets its CREATED event, a change
        writes the contact fields only (a status set meanwhile is kept)."""
        agent = request.user.get_username()
        data = form.cleaned_data
        contact = {
            "last_name": data["last_name"],
            "first_name": data["first_name"],
            "mobile": data["mobile"],
            "language": data["language"],
        }
        if change:
            update = services.card_update_contact(
                card_id=obj.pk, by=agent, now=timezone.now(), **contact
            )
            if update.resent:
                self.message_user(
                    request,
                    _(
                        "Le SMS « titre disponible », non reçu à l’ancien numéro, "
                        "part vers le nouveau."
                    ),
                    messages.INFO,
                )
            return
        card = services.card_create(
            numero_etranger=data["numero_etranger"],
            site_id=data["site"].pk,
            by=agent,
            **contact,
        )
        # The admin's log, message and redirect name the card the service created.
        obj.pk = card.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def has_desk_permission(self, request: HttpRequest) -> bool:
        return self.has_model_permission(request, "hand_over_card")

    def has_override_permission(self, request: HttpRequest) -> bool:
        return self.has_model_permission(request, "override_handover")

    def has_import_permission(self, request: HttpRequest) -> bool:
        # The list marks cards ready (and creates the unknown ones), like the action.
        return self.has_change_permission(request)

    def allowed_pages(self, request: HttpRequest) -> set[str]:
        pages = {
            "booking_card_desk": self.has_desk_permission(request),
            "booking_card_delivery": self.has_import_permission(request),
        }
        return {name for name, allowed in pages.items() if allowed}

    def get_urls(self):
        desk = path(
            "remise/",
            self.admin_site.admin_view(self.desk_view),
            name="booking_card_desk",
        )
        return [desk, *self.import_urls(), *super().get_urls()]

    def desk_view(self, request: HttpRequest) -> HttpResponse:
        """The collection desk ("Remise des titres"): find a card, see its SMS,
        record the handover (refused outside the rules unless overridden)."""
        if not self.has_desk_permission(request):
            raise PermissionDenied
        can_override = self.has_override_permission(request)
        raw = request.POST.get("q") or request.GET.get("q") or ""
        query = raw.replace("\x00", "").strip()[:80]  # PostgreSQL refuses NUL
        if request.method == "POST":
            override = "override" in request.POST and can_override
            reason = request.POST.get("reason", "").replace("\x00", "").strip()
            try:
                card_id = int(request.POST.get("card", ""))
                if override and not reason:
                    # A dérogation is its written motive: say so, not the rules it
                    # would have set aside.
                    raise HandoverRefused(
                        str(_("motif obligatoire pour une dérogation"))
                    )
                services.card_hand_over(
                    card_id=card_id,
                    by=request.user.get_username(),
                    now=timezone.now(),
                    override_reason=reason if override else "",
                )
            except (ValueError, Card.DoesNotExist):
                self.message_user(request, _("Titre introuvable."), messages.ERROR)
            except HandoverRefused as refused:
                self.message_user(
                    request,
                    _("Remise refusée : %(reason)s.") % {"reason": refused.reason},
                    messages.ERROR,
                )
            else:
                self.message_user(request, _("Remise enregistrée."), messages.SUCCESS)
            return redirect(
                f"{reverse('admin:booking_card_desk')}?{urlencode({'q': query})}"
            )
        context = self.page_context(
            request,
            title=_("Remise des titres"),
            query=query,
            cards=selectors.card_list_for_desk(query=query) if query else [],
            can_override=can_override,
        )
        return TemplateResponse(request, "admin/booking/card/desk.html", context)

    @admin.action(
        description=_("Marquer disponibles (envoie le SMS « titre disponible »)"),
        permissions=["change"],
    )
    def mark_ready(self, request, queryset) -> HttpResponse | None:
        """Asks first, naming the cards: each one marked sends its holder an SMS
        that can't be taken back (a "select all" would text every card still in
        production, arrived or not)."""
        waiting = queryset.filter(status=Card.Status.IN_PRODUCTION).order_by(
            "last_name", "first_name", "pk"
        )
        if not waiting.exists():
            self.message_user(
                request,
                _("Aucun titre en production parmi ceux choisis : aucun SMS ne part."),
                messages.WARNING,
            )
            return None
        count = waiting.count()
        others = queryset.count() - count
        page = ask_first(
            self,
            request,
            waiting.select_related("site"),
            title=_("Marquer ces titres disponibles ?"),
            describe=card_line,
            consequence=ngettext(
                "Ce titre sera marqué disponible et son titulaire recevra le SMS "
                "« titre disponible » qui l’invite à venir le retirer. Un SMS envoyé "
                "ne peut pas être repris : ne marquez que les titres arrivés au "
                "guichet.",
                "Ces %(count)d titres seront marqués disponibles et chaque titulaire "
                "recevra le SMS « titre disponible » qui l’invite à venir le "
                "retirer. Un SMS envoyé ne peut pas être repris : ne marquez que les "
                "titres arrivés au guichet.",
                count,
            )
            % {"count": count},
            button=ngettext(
                "Oui, marquer ce titre disponible et envoyer le SMS",
                "Oui, marquer les %(count)d titres disponibles et envoyer les SMS",
                count,
            )
            % {"count": count},
            notes=[
                ngettext(
                    "%(count)d titre choisi n’est plus en production : il ne change "
                    "pas et aucun SMS ne part.",
                    "%(count)d titres choisis ne sont plus en production : ils ne "
                    "changent pas et aucun SMS ne part.",
                    others,
                )
                % {"count": others}
            ]
            if others
            else [],
        )
        if page is not None:
            return page
        report = services.card_mark_ready(
            card_ids=list(waiting.values_list("pk", flat=True)),
            by=request.user.get_username(),
            now=timezone.now(),
        )
        if report.ready:
            self.message_user(
                request,
                ngettext(
                    "%(count)d titre marqué disponible : son SMS part.",
                    "%(count)d titres marqués disponibles : leurs SMS partent.",
                    len(report.ready),
                )
                % {"count": len(report.ready)},
                messages.SUCCESS,
            )
        if report.already:
            self.message_user(
                request,
                ngettext(
                    "%(count)d titre n’était plus en production : aucun SMS renvoyé.",
                    "%(count)d titres n’étaient plus en production : aucun SMS renvoyé.",
                    len(report.already),
                )
                % {"count": len(report.already)},
                messages.WARNING,
            )
        return None


def card_line(card: Card) -> str:
    """A card as the "mark ready" page names it."""
    return _("Titre %(numero)s de %(name)s, à retirer à %(site)s.") % {
        "numero": card.numero_etranger,
        "name": f"{card.last_name} {card.first_name}",
        "site": card.site.name,
    }
