from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = _("Questions fréquentes")

    def ready(self) -> None:
        from faq import signals  # noqa: F401 (connects the receivers)
