"""A file an agent uploaded (the register, a delivery list), from its preview to its
result; read and written by a Celery task when it is large, with its progress."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        REGISTER = "registre", _("registre des titres")
        DELIVERY = "livraison", _("liste de livraison")

    class Status(models.TextChoices):
        # Read, nothing written: the preview's counts and first errors.
        ANALYSIS_QUEUED = "analyse_attente", _("analyse en attente")
        ANALYSING = "analyse", _("analyse en cours")
        PREVIEWED = "apercu", _("aperçu prêt, à confirmer")
        # Confirmed by the agent: written in batches, with the progress.
        QUEUED = "attente", _("import en attente")
        RUNNING = "en_cours", _("import en cours")
        DONE = "termine", _("terminé")
        FAILED = "echec", _("échec")
        CANCELLED = "abandonne", _("abandonné")

    kind = models.CharField(_("fichier"), max_length=16, choices=Kind)
    status = models.CharField(
        _("état"), max_length=16, choices=Status, default=Status.ANALYSIS_QUEUED
    )
    filename = models.CharField(_("nom du fichier"), max_length=200, blank=True)
    # The file itself, until it is imported or abandoned (then emptied: it holds
    # numéros, names and phones).
    data = models.BinaryField(default=b"")
    size = models.PositiveIntegerField(_("taille (octets)"), default=0)
    created_by = models.CharField(_("déposé par"), max_length=150)
    confirmed_by = models.CharField(_("confirmé par"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    # Written at every step and batch: a worker whose job stops moving for
    # IMPORT_STALE_SECONDS is taken for dead, and the sweeper hands the job on.
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # Counts and the first refused lines (line number and reason, no personal data).
    preview = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("import de fichier")
        verbose_name_plural = _("imports de fichiers")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")),
                name="importjob_progress_in_range",
            ),
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def percent(self) -> int:
        return 100 * self.rows_done // self.rows_total if self.rows_total else 0

    @property
    def is_working(self) -> bool:
        return self.status in WORKING


WORKING = {
    ImportJob.Status.ANALYSIS_QUEUED,
    ImportJob.Status.ANALYSING,
    ImportJob.Status.QUEUED,
    ImportJob.Status.RUNNING,
}
