"""The waiting list: requests of people who found no place, and the places offered to
them in order of urgency (services/waiting.py, services/offers.py)."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from booking.models.appointments import Booking, Language, Procedure, Site, Slot
from booking.models.audit import AuditEvent


def new_waiting_token() -> str:
    """A status or offer link's secret: 128 random bits."""
    return secrets.token_urlsafe(16)


class WaitingRequest(models.Model):
    """A demande en attente: one person waiting for a place of one démarche."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("en attente")
        OFFERED = "offered", _("place proposée")
        BOOKED = "booked", _("rendez-vous pris")
        WITHDRAWN = "withdrawn", _("retirée par l'usager")
        EXPIRED = "expired", _("sortie (places refusées ou sans réponse)")
        REMOVED = "removed", _("retirée par un agent")

    class Priority(models.IntegerChoices):
        NONE = 0, _("aucune")
        HIGH = 1, _("prioritaire")
        URGENT = 2, _("urgente")

    LIVE = (Status.WAITING, Status.OFFERED)

    numero_etranger = models.CharField(_("numéro étranger"), max_length=10)
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.PROTECT,
        related_name="waiting_requests",
        verbose_name=_("démarche"),
    )
    sites = models.ManyToManyField(
        Site, related_name="waiting_requests", verbose_name=_("lieux possibles")
    )
    # Bits of rules.HALF_DAY_CODES: the half-days the person cannot come.
    unavailable_half_days = models.PositiveSmallIntegerField(
        _("demi-journées impossibles"), default=0
    )
    last_name = models.CharField(_("nom"), max_length=150)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    mobile = models.CharField(_("téléphone portable"), max_length=16)
    email = models.EmailField(_("adresse électronique"), blank=True)
    language = models.CharField(
        _("langue"), max_length=2, choices=Language, default=Language.FR
    )
    for_relative = models.BooleanField(_("pour un proche"), default=False)
    title_valid_until = models.DateField(_("fin de validité du titre"))
    joined_at = models.DateTimeField(_("inscrite le"))
    status = models.CharField(
        _("statut"), max_length=10, choices=Status, default=Status.WAITING
    )
    status_changed_at = models.DateTimeField(_("statut depuis le"))
    priority = models.PositiveSmallIntegerField(
        _("priorité"), choices=Priority, default=Priority.NONE
    )
    priority_reason = models.CharField(
        _("motif de la priorité"), max_length=300, blank=True
    )
    missed_offers = models.PositiveSmallIntegerField(_("offres manquées"), default=0)
    # The appointment to move earlier (asked from the manage page), or the one the
    # request ended in.
    booking = models.ForeignKey(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waiting_requests",
        verbose_name=_("rendez-vous"),
    )
    wants_earlier = models.BooleanField(_("avancer un rendez-vous"), default=False)
    # The status link's secret (never shown to agents).
    token = models.CharField(
        max_length=32, unique=True, default=new_waiting_token, editable=False
    )
    anonymised_at = models.DateTimeField(_("anonymisée le"), null=True, blank=True)

    class Meta:
        ordering = ["-priority", "title_valid_until", "joined_at", "pk"]
        verbose_name = _("demande en attente")
        verbose_name_plural = _("liste d'attente")
        constraints = [
            models.UniqueConstraint(
                fields=["numero_etranger"],
                condition=Q(status__in=["waiting", "offered"]),
                name="booking_waiting_one_live_per_numero",
            ),
            models.CheckConstraint(
                condition=Q(unavailable_half_days__lt=1 << 10),
                name="booking_waiting_half_days_mask",
            ),
            models.CheckConstraint(
                condition=Q(wants_earlier=False)
                | Q(booking__isnull=False)
                | ~Q(status__in=["waiting", "offered"]),
                name="booking_waiting_earlier_has_booking",
            ),
        ]
        indexes = [
            models.Index(
                fields=["procedure", "status", "-priority", "title_valid_until"],
                name="booking_waiting_urgency",
            )
        ]

    def __str__(self) -> str:
        # No name or numéro: the title of pages and logs an agent may share.
        return _("Demande n° %(pk)s") % {"pk": self.pk}

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class WaitingOffer(models.Model):
    """A place offered to one request: it counts against the slot's capacity, like a
    hold, while it is open."""

    class Status(models.TextChoices):
        OPEN = "open", _("en attente de réponse")
        ACCEPTED = "accepted", _("acceptée")
        DECLINED = "declined", _("refusée")
        EXPIRED = "expired", _("sans réponse")
        CANCELLED = "cancelled", _("annulée")

    request = models.ForeignKey(
        WaitingRequest,
        on_delete=models.CASCADE,
        related_name="offers",
        verbose_name=_("demande"),
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="offers", verbose_name=_("créneau")
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status, default=Status.OPEN
    )
    offered_at = models.DateTimeField(_("proposée le"))
    expires_at = models.DateTimeField(_("réponse attendue avant"))
    answered_at = models.DateTimeField(_("répondue le"), null=True, blank=True)
    # The accept link's secret.
    token = models.CharField(
        max_length=32, unique=True, default=new_waiting_token, editable=False
    )

    class Meta:
        ordering = ["-offered_at", "pk"]
        verbose_name = _("place proposée")
        verbose_name_plural = _("places proposées")
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="open"),
                name="booking_offer_one_open_per_request",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("offered_at")),
                name="booking_offer_expires_after",
            ),
        ]
        indexes = [
            models.Index(fields=["slot", "status"], name="booking_offer_slot_open"),
            models.Index(fields=["status", "expires_at"], name="booking_offer_due"),
        ]

    def __str__(self) -> str:
        return f"offer {self.pk} of request {self.request_id}"


class WaitingEvent(AuditEvent):
    """The audit trail of a request: joined, offered, answered, priority, removed."""

    class Kind(models.TextChoices):
        JOINED = "joined", _("inscrite")
        OFFERED = "offered", _("place proposée")
        ACCEPTED = "accepted", _("offre acceptée")
        DECLINED = "declined", _("offre refusée")
        EXPIRED = "expired", _("offre sans réponse")
        # The place closed after it was offered: not one of the person's misses.
        OFFER_WITHDRAWN = "offer_withdrawn", _("offre retirée (fermeture)")
        LEFT = "left", _("sortie de la liste (offres manquées)")
        WITHDRAWN = "withdrawn", _("retirée par l'usager")
        REMOVED = "removed", _("retirée par un agent")
        PRIORITY = "priority", _("priorité modifiée")
        ANONYMISED = "anonymised", _("anonymisée")

    request = models.ForeignKey(
        WaitingRequest, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("événement"), max_length=20, choices=Kind)

    class Meta(AuditEvent.Meta):
        verbose_name = _("événement")
        verbose_name_plural = _("historique de la liste d'attente")

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"
