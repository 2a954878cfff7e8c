"""The outbox: one row per message to send (an SMS, or the confirmation e-mail), written
in the same transaction as the change that calls for it, sent by a Celery task, swept by
beat if anything was lost."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from booking.models.appointments import Booking
from booking.models.cards import Card
from booking.models.waiting import WaitingRequest


class OutgoingMessage(models.Model):
    class Kind(models.TextChoices):
        CARD_READY = "card_ready", _("titre disponible")
        CARD_REMINDER = "card_reminder", _("rappel de retrait")
        BOOKING_CONFIRMED = "booking_confirmed", _("rendez-vous confirmé")
        BOOKING_REMINDER = "booking_reminder", _("rappel de rendez-vous")
        BOOKING_CANCELLED = "booking_cancelled", _("rendez-vous annulé")
        BOOKING_MOVED = "booking_moved", _("rendez-vous déplacé")
        BOOKING_CONFIRMED_EMAIL = (
            "booking_confirmed_email",
            _("courriel de confirmation"),
        )
        BOOKING_MOVED_EMAIL = "booking_moved_email", _("courriel de déplacement")
        BOOKING_LINK_RESENT = "booking_link_resent", _("lien de gestion renvoyé")
        BOOKING_MANAGE_CODE = "booking_manage_code", _("code de confirmation")
        # The same two by e-mail, for a booking whose mobile is outside
        # SMS_ALLOWED_REGIONS (rendered when sent; the code's row holds the code).
        BOOKING_LINK_RESENT_EMAIL = (
            "booking_link_email",
            _("lien de gestion renvoyé par courriel"),
        )
        BOOKING_MANAGE_CODE_EMAIL = (
            "booking_code_email",
            _("code de confirmation par courriel"),
        )
        # The waiting list (kind waiting_offer: the contract's offer SMS).
        WAITING_JOINED = "waiting_joined", _("inscription sur la liste d'attente")
        WAITING_OFFER = "waiting_offer", _("place proposée (liste d'attente)")
        WAITING_LEFT = "waiting_left", _("sortie de la liste d'attente")
        WAITING_REMOVED = "waiting_removed", _("retrait de la liste par un agent")
        WAITING_CODE = "waiting_code", _("code de la liste d'attente")
        WAITING_JOINED_EMAIL = (
            "waiting_joined_email",
            _("inscription sur la liste d'attente par courriel"),
        )
        WAITING_OFFER_EMAIL = (
            "waiting_offer_email",
            _("place proposée par courriel"),
        )
        WAITING_CODE_EMAIL = "waiting_code_email", _("code de la liste par courriel")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("courriel")

    class Status(models.TextChoices):
        PENDING = "pending", _("à envoyer")
        SENDING = "sending", _("envoi en cours")
        SENT = "sent", _("envoyé")
        DELIVERED = "delivered", _("reçu")
        UNDELIVERED = "undelivered", _("non reçu")
        FAILED = "failed", _("échec")
        # Over a daily cap, or to a number outside SMS_ALLOWED_REGIONS: recorded,
        # never sent (last_error says why).
        REFUSED = "refused", _("refusé (non envoyé)")

    idempotency_key = models.CharField(_("clé d'unicité"), max_length=80, unique=True)
    kind = models.CharField(_("type"), max_length=24, choices=Kind)
    channel = models.CharField(
        _("canal"), max_length=8, choices=Channel, default=Channel.SMS
    )
    card = models.ForeignKey(
        Card,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("titre"),
    )
    booking = models.ForeignKey(
        Booking,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("rendez-vous"),
    )
    waiting_request = models.ForeignKey(
        WaitingRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("demande en attente"),
    )
    # A number in E.164, or an e-mail address.
    to = models.CharField(_("destinataire"), max_length=254)
    # An e-mail is rendered when it is sent (in the booking's language): no body here.
    body = models.CharField(_("texte"), max_length=160, blank=True)
    status = models.CharField(
        _("statut"), max_length=12, choices=Status, default=Status.PENDING
    )
    send_after = models.DateTimeField(_("à envoyer à partir de"))
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    # A send interrupted after the provider may have accepted it (worker killed).
    possible_duplicates = models.PositiveSmallIntegerField(
        _("doublons possibles"), default=0
    )
    last_error = models.CharField(_("dernière erreur"), max_length=300, blank=True)
    provider_id = models.CharField(
        _("identifiant fournisseur"), max_length=64, blank=True
    )
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    # Set right before the provider (or mail server) is called: a message claimed in
    # a batch but never handed over cannot be a duplicate (see messages_sweep).
    handed_at = models.DateTimeField(
        _("remis au fournisseur le"), null=True, blank=True
    )
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("reçu le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("SMS et courriels envoyés")
        indexes = [
            models.Index(fields=["status", "send_after"]),
            models.Index(fields=["provider_id"]),
            # The daily cap per mobile number counts a number's messages of the day.
            models.Index(fields=["to", "created_at"], name="booking_message_to_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(card__isnull=False)
                | Q(booking__isnull=False)
                | Q(waiting_request__isnull=False),
                name="booking_message_has_subject",
            )
        ]

    def __str__(self) -> str:
        return self.idempotency_key
