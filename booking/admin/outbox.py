"""The outbox (SMS and the confirmation e-mails), for the agents who watch it:
statuses, masked numbers and addresses, retry."""

import re

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking import services
from booking.manage_links import email_hint
from booking.models import (
    OutgoingMessage,
)
from booking.phone import masked

# The secret of a short link in an SMS: /o/<token>/, /la/<token>/, /rdv/<token>/.
LINK_SECRET = re.compile(r"(/(?:o|la|rdv)/)[A-Za-z0-9_-]{16,}/")


# The worker records what went wrong in the provider's and the code's own words
# (for the IT, kept as they are); agents read them as these.
_ERRORS = [
    (r"not sent: region (?P<region>\S+) outside", _("Non envoyé : numéro d’un pays (%(region)s) où nous n’envoyons pas de SMS")),
    (r"not sent: (?P<count>\d+) SMS for this booking today", _("Non envoyé : déjà %(count)s SMS pour ce rendez-vous aujourd’hui (plafond)")),
    (r"not sent: (?P<count>\d+) SMS to this number today", _("Non envoyé : déjà %(count)s SMS vers ce numéro aujourd’hui (plafond)")),
    (r"not sent: the appointment is no longer active", _("Non envoyé : le rendez-vous n’est plus actif")),
    (r"not sent: the offer is no longer open", _("Non envoyé : la place proposée n’est plus à prendre")),
    (r"not sent: the card is no longer waiting", _("Non envoyé : le titre n’attend plus son titulaire")),
    (r"receipt: (hard_?bounce)", _("Non reçu : numéro inexistant ou hors service, selon l’opérateur")),
    (r"receipt: (soft_?bounce)", _("Non reçu : téléphone éteint ou injoignable trop longtemps")),
    (r"receipt: blocked", _("Non reçu : ce numéro refuse nos SMS (liste d’opposition)")),
    (r"receipt: ", _("Non reçu : refusé par l’opérateur")),
    (r"abandoned after (?P<count>\d+) attempts", _("Abandonné après %(count)s essais : le fournisseur ne répondait pas")),
    (r"recipient refused", _("Adresse électronique refusée par le serveur du destinataire")),
    (r"HTTP 4\d\d (?P<detail>.+)", _("Refusé par le fournisseur d’envoi : %(detail)s")),
    (r"HTTP 4\d\d", _("Refusé par le fournisseur d’envoi")),
    (r"HTTP 5\d\d|\w*(Timeout|ConnectionError)", _("Le fournisseur ne répond pas : nouvel essai prévu")),
]  # fmt: skip


def error_words(last_error: str) -> str:
    """A message's last error as an agent reads it; the technical text when it
    is none of the known ones."""
    for pattern, words in _ERRORS:
        found = re.match(pattern, last_error)
        if found:
            return str(words) % found.groupdict()
    return last_error or "—"


def masked_email(address: str) -> str:
    """An address fit for an agent's list: its first letter and its domain."""
    return email_hint(address, mask="***")


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient",
        "status",
        "attempts",
        "possible_duplicates",
        "why",
        "provider_id",
        "sent_at",
        "delivered_at",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["=provider_id", "=idempotency_key"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    exclude = ["to", "body"]
    readonly_fields = [
        "idempotency_key",
        "kind",
        "channel",
        "card",
        "booking",
        "waiting_request",
        "recipient",
        "body_shown",
        "status",
        "send_after",
        "attempts",
        "possible_duplicates",
        "why",
        "technical",
        "provider_id",
        "claimed_at",
        "handed_at",
        "sent_at",
        "delivered_at",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The worker owns a message's status: its page is read-only, since saving the
        # row whole could undo a status written meanwhile. "Renvoyer maintenant" (on
        # the list) is the one change, through messages_retry.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("destinataire"))
    def recipient(self, message: OutgoingMessage) -> str:
        if message.channel == OutgoingMessage.Channel.EMAIL:
            return masked_email(message.to)
        return masked(message.to)

    @admin.display(description=_("dernière erreur"))
    def why(self, message: OutgoingMessage) -> str:
        return error_words(message.last_error)

    @admin.display(description=_("détail technique"))
    def technical(self, message: OutgoingMessage) -> str:
        return message.last_error or "—"

    @admin.display(description=_("texte"))
    def body_shown(self, message: OutgoingMessage) -> str:
        # An offer's link accepts the place without a code: agents see the text
        # without the link's secret (nor a manage link's).
        return LINK_SECRET.sub(r"\1…/", message.body)

    @admin.action(
        description=_("Renvoyer maintenant (échecs seulement)"),
        permissions=["change"],
    )
    def retry_now(self, request, queryset) -> None:
        count = services.messages_retry(
            message_ids=list(queryset.values_list("pk", flat=True)), now=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d message remis en file.",
                "%(count)d messages remis en file.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
