"""Sites, démarches, slots, the register of titles, holds and bookings."""

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from booking.models.audit import AuditEvent
from booking.rules import Channel
from prefecture.models import Bilingual


class Site(Bilingual):
    """A lieu d'accueil: where appointments take place and cards are collected."""

    name = models.CharField(_("nom"), max_length=120)
    sms_name = models.CharField(
        _("nom court pour les SMS"),
        max_length=40,
        blank=True,
        help_text=_("40 caractères au plus : un SMS tient en 160 caractères."),
    )
    address = models.TextField(_("adresse"))
    opening_hours_fr = models.TextField(
        _("horaires d'accueil (français)"),
        help_text=_(
            "Accueil et point numérique : affichés comme alternative aux "
            "démarches en ligne."
        ),
    )
    opening_hours_en = models.TextField(_("horaires d'accueil (anglais)"), blank=True)
    # Shown to an applicant who can no longer change an appointment online.
    phone = models.CharField(_("téléphone de l'accueil"), max_length=30, blank=True)
    email = models.EmailField(_("adresse électronique de l'accueil"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("actif"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("lieu d'accueil")
        verbose_name_plural = _("lieux d'accueil")

    def __str__(self) -> str:
        return self.name

    @property
    def short_name(self) -> str:
        return self.sms_name or self.name[:40]

    @property
    def opening_hours(self) -> str:
        return self.localized("opening_hours")


class WaitingMode(models.TextChoices):
    """How a démarche's places are given (see the README's waiting list)."""

    DIRECT = "direct", _("libre choix (liste d'attente si rien n'est libre)")
    LIST = "liste", _("liste d'attente (aucun créneau en libre choix)")
    MIXED = "mixte", _("mixte (une part de chaque lot pour la liste)")


class Procedure(Bilingual):
    """A démarche as the applicant names it, and the channel it goes through."""

    class ChannelChoice(models.TextChoices):
        COUNTER = Channel.COUNTER.value, _("rendez-vous au guichet")
        ONLINE = Channel.ONLINE.value, _("démarche en ligne")
        COLLECTION = Channel.COLLECTION.value, _("retrait du titre (sans rendez-vous)")

    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name_fr = models.CharField(_("nom (français)"), max_length=200)
    name_en = models.CharField(_("nom (anglais)"), max_length=200, blank=True)
    instructions_fr = models.TextField(
        _("instructions et pièces à fournir (français)"), blank=True
    )
    instructions_en = models.TextField(
        _("instructions et pièces à fournir (anglais)"), blank=True
    )
    channel = models.CharField(
        _("canal"), max_length=20, choices=ChannelChoice, default=ChannelChoice.COUNTER
    )
    external_url = models.URLField(_("lien de la démarche en ligne"), blank=True)
    booking_procedure = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("créneaux partagés avec"),
        help_text=_(
            "Pour un rendez-vous au guichet : la démarche dont les créneaux sont "
            "proposés (vide : ses propres créneaux)."
        ),
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), default=30
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        _("délai minimal de réservation (heures)"), default=2
    )
    max_horizon_days = models.PositiveSmallIntegerField(
        _("réservation possible jusqu'à (jours)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("proposée"), default=True)
    waiting_mode = models.CharField(
        _("attribution des places"),
        max_length=8,
        choices=WaitingMode,
        default=WaitingMode.DIRECT,
        help_text=_(
            "Libre choix : les usagers choisissent un créneau, la liste d'attente "
            "reçoit les places libérées quand personne n'en trouve. Liste d'attente : "
            "aucun créneau n'est affiché, chaque place est proposée par SMS dans "
            "l'ordre d'urgence. Mixte : une part de chaque nouveau lot est réservée à "
            "la liste. Le changement s'applique aussi aux créneaux à venir."
        ),
    )
    waiting_share = models.PositiveSmallIntegerField(
        _("part réservée à la liste d'attente (%)"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("En mode mixte : part de chaque nouveau lot de créneaux."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("démarche")
        verbose_name_plural = _("démarches")
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="online") | ~Q(external_url=""),
                name="booking_procedure_online_has_url",
                violation_error_message=_(
                    "Une démarche en ligne a besoin de l’adresse de son formulaire."
                ),
            ),
            models.CheckConstraint(
                condition=Q(max_horizon_days__gt=0), name="booking_procedure_horizon"
            ),
            models.CheckConstraint(
                condition=Q(waiting_share__lte=100),
                name="booking_procedure_waiting_share",
            ),
        ]

    def __str__(self) -> str:
        return self.name_fr

    @property
    def name(self) -> str:
        return self.localized("name")

    @property
    def instructions(self) -> str:
        return self.localized("instructions")

    @property
    def slots_procedure_id(self) -> int:
        return self.booking_procedure_id or self.pk


# Places of one slot: a counter's agents for its length; 99999 is a typo.
PLACES_AT_MOST = MaxValueValidator(100)


class Slot(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="slots", verbose_name=_("lieu")
    )
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.PROTECT,
        related_name="slots",
        verbose_name=_("démarche"),
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    capacity = models.PositiveSmallIntegerField(
        _("places"), default=1, validators=[MinValueValidator(1), PLACES_AT_MOST]
    )
    published_at = models.DateTimeField(_("publié le"))
    # Its places are offered through the waiting list only, never shown for
    # self-service (a démarche in "liste" mode, or the "mixte" share).
    via_list = models.BooleanField(_("réservé à la liste d'attente"), default=False)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gt=0), name="booking_slot_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="booking_slot_ends_after",
                violation_error_message=_("La fin doit être après le début."),
            ),
            # Slot generation is idempotent even when two runs race.
            models.UniqueConstraint(
                fields=["site", "procedure", "starts_at"], name="booking_slot_once"
            ),
        ]
        indexes = [models.Index(fields=["procedure", "starts_at"])]

    def __str__(self) -> str:
        # Read by agents (lists, selects, history): the préfecture's time, never UTC.
        local = timezone.localtime(self.starts_at, timezone.get_default_timezone())
        return f"{self.procedure} — {local:%d/%m/%Y %H:%M}"


class TitleRecord(models.Model):
    """One line of the register of titles, against which applicants are checked."""

    class TitleType(models.TextChoices):
        CARTE_SEJOUR = "carte_sejour", _("carte de séjour")
        CARTE_RESIDENT = "carte_resident", _("carte de résident")
        VLS_TS = "vls_ts", _("visa long séjour valant titre de séjour (VLS-TS)")
        RECEPISSE = "recepisse", _("récépissé")
        APS = "aps", _("autorisation provisoire de séjour")

    numero_etranger = models.CharField(_("numéro étranger"), max_length=10, unique=True)
    valid_until = models.DateField(_("date de validité"))
    postal_code = models.CharField(_("code postal"), max_length=5)
    title_type = models.CharField(_("type de titre"), max_length=20, choices=TitleType)
    mobile = models.CharField(_("téléphone portable"), max_length=16, blank=True)
    updated_at = models.DateTimeField(_("mis à jour"), auto_now=True)

    class Meta:
        ordering = ["numero_etranger"]
        verbose_name = _("titre enregistré")
        verbose_name_plural = _("registre des titres")

    def __str__(self) -> str:
        return self.numero_etranger


class Hold(models.Model):
    """A place kept for a few minutes while the applicant types their details.

    Availability counts only live holds, so an expired one frees its place without
    any job. A hold belongs to one owner: the numéro étranger that passed the
    identity check, or the booking being moved; each owner has one hold row at most
    (the service deletes the owner's previous one, live or expired, before taking a
    new one: a partial index cannot say "live", now() is not immutable)."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="holds")
    token = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    numero_etranger = models.CharField(max_length=10, blank=True)
    booking = models.ForeignKey(
        "Booking", on_delete=models.CASCADE, null=True, related_name="+"
    )
    # Salted HMAC of the client's address, for the cap per IP: never the address.
    ip_digest = models.CharField(max_length=64, default="")

    class Meta:
        indexes = [
            models.Index(fields=["slot", "expires_at"]),
            models.Index(fields=["ip_digest", "expires_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["numero_etranger"],
                condition=~Q(numero_etranger=""),
                name="booking_hold_one_per_numero",
            ),
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(booking__isnull=False),
                name="booking_hold_one_per_booking",
            ),
            models.CheckConstraint(
                condition=Q(numero_etranger="", booking__isnull=False)
                | (~Q(numero_etranger="") & Q(booking__isnull=True)),
                name="booking_hold_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.slot_id} until {self.expires_at:%H:%M:%S}"


class Language(models.TextChoices):
    """The language of the messages a person receives (bookings and cards)."""

    FR = "fr", "Français"
    EN = "en", "English"


def new_manage_token() -> str:
    """The manage link's secret: 128 random bits, unrelated to the reference."""
    return secrets.token_urlsafe(16)


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmé")
        CANCELLED = "cancelled", _("annulé")
        HONOURED = "honoured", _("honoré")
        NO_SHOW = "no_show", _("absent")

    reference = models.CharField(_("référence"), max_length=8, unique=True)
    # The possession factor of the link sent by SMS and e-mail (never shown to agents).
    manage_token = models.CharField(
        max_length=32, unique=True, default=new_manage_token, editable=False
    )
    slot = models.ForeignKey(
        Slot,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("créneau"),
    )
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("démarche"),
    )
    numero_etranger = models.CharField(_("numéro étranger"), max_length=10)
    last_name = models.CharField(_("nom"), max_length=150)
    first_name = models.CharField(_("prénom"), max_length=150)
    mobile = models.CharField(_("téléphone portable"), max_length=16)
    email = models.EmailField(_("adresse électronique"), blank=True)
    language = models.CharField(
        _("langue"), max_length=2, choices=Language, default=Language.FR
    )
    for_relative = models.BooleanField(_("pris pour un proche"), default=False)
    status = models.CharField(
        _("statut"), max_length=12, choices=Status, default=Status.CONFIRMED
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    suspicious_numero = models.BooleanField(_("numéro douteux"), default=False)
    agent_note = models.TextField(_("note de l'agent"), blank=True)
    confirmation_email_sent_at = models.DateTimeField(
        _("courriel de confirmation envoyé le"), null=True, blank=True
    )
    # Moves by the applicant (booking_move, under the row lock; BOOKING_MAX_MOVES).
    move_count = models.PositiveSmallIntegerField(_("déplacements"), default=0)

    history = HistoricalRecords(excluded_fields=["manage_token"])

    class Meta:
        ordering = ["slot__starts_at", "pk"]
        verbose_name = _("rendez-vous")
        # The same French word, another English one: its own message.
        verbose_name_plural = pgettext_lazy("plural", "rendez-vous")
        permissions = [("view_statistics", _("Peut consulter les statistiques"))]
        constraints = [
            # Past confirmed bookings are closed by the service before a new one is
            # taken, so "confirmed" here means "active".
            models.UniqueConstraint(
                fields=["numero_etranger"],
                condition=Q(status="confirmed"),
                name="booking_one_active_per_numero",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class BookingEvent(AuditEvent):
    """The audit trail: what happened to a booking, when, and who did it."""

    class Kind(models.TextChoices):
        CREATED = "created", _("créé")
        CANCELLED = "cancelled", _("annulé")
        MOVED = "moved", _("déplacé")
        CLOSED = "closed", _("clos (date passée)")
        HONOURED = "honoured", _("présent")
        NO_SHOW = "no_show", _("absent")
        FLAGGED = "flagged", _("numéro signalé douteux")
        LINK_RESENT = "link_resent", _("lien de gestion renvoyé")

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("événement"), max_length=20, choices=Kind)

    class Meta(AuditEvent.Meta):
        verbose_name = _("événement")
        verbose_name_plural = _("historique des rendez-vous")

    def __str__(self) -> str:
        return f"{self.booking_id} {self.kind}"
