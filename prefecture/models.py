from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Bilingual(models.Model):
    """Reads ``<name>_en`` in English when filled, ``<name>_fr`` otherwise."""

    class Meta:
        abstract = True

    def localized(self, name: str) -> str:
        return getattr(self, f"{name}_{self.shown_language(name)}")

    def shown_language(self, name: str) -> str:
        """The language ``localized(name)`` is written in: "en" when English is
        active and the English text is filled, "fr" otherwise."""
        if (get_language() or "fr").startswith("en") and getattr(self, f"{name}_en"):
            return "en"
        return "fr"


class TotpEnrolmentGrant(models.Model):
    """A superuser's permission for one agent to set up a first TOTP device (a new
    account, or a lost phone whose device was deleted). Only the code's hash is kept;
    the row stays as the record of who issued it, when, and whether it was used."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_enrolment_grants",
        verbose_name=_("agent"),
    )
    code_hash = models.CharField(_("empreinte du code"), max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("émis par"),
    )
    issued_at = models.DateTimeField(_("émis le"))
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lien d'enrôlement TOTP")
        verbose_name_plural = _("liens d'enrôlement TOTP")
        ordering = ["-issued_at"]
        constraints = [
            # Issuing a new code revokes the old one: one outstanding code per agent.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                name="one_outstanding_totp_enrolment_grant_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("issued_at")),
                name="totp_enrolment_grant_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)
