"""Opening schedules (when a site opens slots for a démarche) and closures (the days
a site's desk is closed, on top of public holidays)."""

from datetime import time

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from booking.models.appointments import PLACES_AT_MOST, Procedure, Site

WEEKDAYS = [
    (0, _("lundi")),
    (1, _("mardi")),
    (2, _("mercredi")),
    (3, _("jeudi")),
    (4, _("vendredi")),
    (5, _("samedi")),
    (6, _("dimanche")),
]


class OpeningSchedule(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("lieu")
    )
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.CASCADE,
        related_name="schedules",
        verbose_name=_("démarche"),
    )
    weekday = models.PositiveSmallIntegerField(
        _("jour de la semaine"), choices=WEEKDAYS
    )
    starts = models.TimeField(_("début"))
    ends = models.TimeField(_("fin"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("durée d'un créneau (minutes)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(480)],
    )
    places = models.PositiveSmallIntegerField(
        _("places par créneau"),
        default=1,
        validators=[MinValueValidator(1), PLACES_AT_MOST],
    )
    valid_from = models.DateField(_("à partir du"))
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)
    # New slots appear at a random moment of this window (the next one to come), never
    # at a fixed minute that slot resellers could wait for.
    publish_from = models.TimeField(_("publication entre"), default=time(8, 0))
    publish_until = models.TimeField(_("et"), default=time(18, 0))

    history = HistoricalRecords()

    class Meta:
        ordering = ["site", "procedure", "weekday", "starts"]
        verbose_name = _("plage d'ouverture")
        verbose_name_plural = _("plages d'ouverture")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=F("starts")), name="booking_schedule_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gt=0), name="booking_schedule_slot_positive"
            ),
            models.CheckConstraint(
                condition=Q(places__gt=0), name="booking_schedule_places_positive"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="booking_schedule_valid_range",
                violation_error_message=_("La fin de validité précède son début."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} — {self.procedure} — {self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError({"ends": _("La fin doit être après le début.")})
        if (
            self.publish_from
            and self.publish_until
            and self.publish_until <= self.publish_from
        ):
            raise ValidationError(
                {
                    "publish_until": _(
                        "La fenêtre de publication doit finir après son début."
                    )
                }
            )
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("La fin de validité précède son début.")}
            )
        if not (self.site_id and self.procedure_id and self.starts and self.ends):
            return
        overlapping = OpeningSchedule.objects.filter(
            site_id=self.site_id,
            procedure_id=self.procedure_id,
            weekday=self.weekday,
            starts__lt=self.ends,
            ends__gt=self.starts,
        ).exclude(pk=self.pk)
        if self.valid_until:
            overlapping = overlapping.filter(valid_from__lte=self.valid_until)
        overlapping = overlapping.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=self.valid_from)
        )
        if overlapping.exists():
            raise ValidationError(
                _(
                    "Cette plage chevauche une autre plage du même lieu pour la même démarche."
                )
            )


class ClosureDay(models.Model):
    """A day (or half-day) a site's desk is closed, on top of public holidays."""

    class Period(models.TextChoices):
        DAY = "day", _("toute la journée")
        MORNING = "morning", _("matin")
        AFTERNOON = "afternoon", _("après-midi")

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="closures", verbose_name=_("lieu")
    )
    day = models.DateField(_("jour"))
    period = models.CharField(
        _("période"), max_length=10, choices=Period, default=Period.DAY
    )
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["day"]
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "period"], name="booking_closure_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.day:%d/%m/%Y}"
