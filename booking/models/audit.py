from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """An audit-trail row: who did what, when. Subclasses add the subject and kinds."""

    actor = models.CharField(_("auteur"), max_length=150)
    detail = models.JSONField(_("détail"), default=dict, blank=True)
    at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]
