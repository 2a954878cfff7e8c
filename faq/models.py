"""The FAQ and the announcements shown on every public page, in French and English."""

from datetime import datetime

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from prefecture.models import Bilingual


class Category(Bilingual):
    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name_fr = models.CharField(_("nom (français)"), max_length=200)
    name_en = models.CharField(_("nom (anglais)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")

    def __str__(self) -> str:
        return self.name_fr

    @property
    def name(self) -> str:
        return self.localized("name")


class Question(Bilingual):
    class Illustrations(models.TextChoices):
        NONE = "", _("aucune")
        NUMERO_ETRANGER = (
            "numero-etranger",
            _("où trouver le numéro étranger (4 dessins de titres)"),
        )

    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("catégorie"),
    )
    slug = models.SlugField(
        _("identifiant"),
        max_length=120,
        unique=True,
        # Plain text: the admin shows a help text as HTML (a "<identifiant>" vanished).
        help_text=_(
            "Adresse permanente de la question : /faq/ suivi de cet identifiant "
            "(par exemple /faq/renouveler-mon-titre/)."
        ),
    )
    question_fr = models.CharField(_("question (français)"), max_length=300)
    question_en = models.CharField(_("question (anglais)"), max_length=300, blank=True)
    answer_fr = models.TextField(
        _("réponse (français)"),
        help_text=_(
            "Markdown : **gras**, listes « - », liens [texte](https://…). "
            'Un avertissement : une ligne « !!! warning "" » puis le texte '
            "indenté de 4 espaces."
        ),
    )
    answer_en = models.TextField(_("réponse (anglais)"), blank=True)
    illustrations = models.CharField(
        _("illustrations"),
        max_length=40,
        choices=Illustrations,
        blank=True,
        default=Illustrations.NONE,
        help_text=_(
            "Dessins affichés juste après la réponse, en français et en anglais, "
            "avec leurs légendes et textes alternatifs."
        ),
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_published = models.BooleanField(_("publiée"), default=True)
    updated_at = models.DateTimeField(_("mise à jour"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["category__position", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.question_fr

    def get_absolute_url(self) -> str:
        return reverse("faq:question", kwargs={"slug": self.slug})

    @property
    def question(self) -> str:
        return self.localized("question")

    @property
    def answer(self) -> str:
        return self.localized("answer")

    @property
    def illustrations_template(self) -> str:
        """The template of the drawings shown after the answer; empty for none."""
        if not self.illustrations:
            return ""
        return f"faq/illustrations/{self.illustrations.replace('-', '_')}.html"


class Announcement(Bilingual):
    class Level(models.TextChoices):
        INFO = "info", _("information")
        WARNING = "warning", _("avertissement")

    title_fr = models.CharField(_("titre (français)"), max_length=200)
    title_en = models.CharField(_("titre (anglais)"), max_length=200, blank=True)
    text_fr = models.TextField(_("texte (français)"), blank=True)
    text_en = models.TextField(_("texte (anglais)"), blank=True)
    level = models.CharField(
        _("niveau"), max_length=10, choices=Level, default=Level.INFO
    )
    starts_at = models.DateTimeField(
        _("début d'affichage"),
        null=True,
        blank=True,
        help_text=_("Heure de Paris. Vide : affichée dès l'enregistrement."),
    )
    ends_at = models.DateTimeField(
        _("fin d'affichage"),
        null=True,
        blank=True,
        help_text=_("Heure de Paris. Vide : affichée jusqu'à nouvel ordre."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at", "pk"]
        verbose_name = _("annonce")
        verbose_name_plural = _("annonces")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(starts_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="faq_announcement_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title_fr

    @property
    def title(self) -> str:
        return self.localized("title")

    def is_shown_at(self, moment: datetime) -> bool:
        """Shown from its start (at once without one) until its end (until further
        notice without one)."""
        started = self.starts_at is None or self.starts_at <= moment
        return started and (self.ends_at is None or moment < self.ends_at)

    @property
    def text(self) -> str:
        return self.localized("text")
