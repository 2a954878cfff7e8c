"""Residence cards produced for collection, and their audit trail."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from booking.models.appointments import Language, Site
from booking.models.audit import AuditEvent


class Card(models.Model):
    """A titre produit: from production to the hands of its holder."""

    class Status(models.TextChoices):
        IN_PRODUCTION = "en_production", _("en production")
        READY = "disponible", _("disponible")
        HANDED_OVER = "remise", _("remise")
        RETURNED = "retournee", _("retournée")

    numero_etranger = models.CharField(_("numéro étranger"), max_length=10)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    mobile = models.CharField(_("téléphone portable"), max_length=16)
    language = models.CharField(
        _("langue des messages"), max_length=2, choices=Language, default=Language.FR
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="cards",
        verbose_name=_("lieu de retrait"),
    )
    status = models.CharField(
        _("statut"), max_length=16, choices=Status, default=Status.IN_PRODUCTION
    )
    # Which title this card is (with numero_etranger): the register's validity date
    # when the card was created; empty when the register did not know the person.
    # A delivery list naming a card of the same title again creates nothing.
    title_valid_until = models.DateField(_("validité du titre"), null=True, blank=True)
    ready_at = models.DateTimeField(_("disponible le"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("remise le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("titre produit")
        verbose_name_plural = _("titres produits")
        permissions = [
            ("hand_over_card", _("Peut remettre un titre au guichet")),
            ("override_handover", _("Peut remettre un titre par dérogation")),
        ]
        constraints = [
            # One card in the pipeline per person; handed-over ones are history.
            models.UniqueConstraint(
                fields=["numero_etranger"],
                condition=Q(status__in=["en_production", "disponible"]),
                name="booking_card_one_pending_per_numero",
            ),
        ]

    def __str__(self) -> str:
        return self.numero_etranger


class CardEvent(AuditEvent):
    """Who did what to a card, and when (marking ready, handover, override)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("créée")
        READY = "ready", _("disponible")
        HANDED_OVER = "handed_over", _("remise")
        OVERRIDE = "override", _("remise par dérogation")
        RETURNED = "returned", _("retournée")

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("événement"), max_length=20, choices=Kind)

    class Meta(AuditEvent.Meta):
        verbose_name = _("événement du titre")
        verbose_name_plural = _("historique des titres")

    def __str__(self) -> str:
        return f"{self.card_id} {self.kind}"
