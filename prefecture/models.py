from django.db import models
from django.utils.translation import get_language


class Bilingual(models.Model):
    """Reads ``<name>_en`` in English when filled, ``<name>_fr`` otherwise."""

    class Meta:
        abstract = True

    def localized(self, name: str) -> str:
        if (get_language() or "fr").startswith("en"):
            english = getattr(self, f"{name}_en")
            if english:
                return english
        return getattr(self, f"{name}_fr")
