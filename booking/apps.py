from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Rendez-vous")

    def ready(self) -> None:
        from booking import signals  # noqa: F401 - connects the receivers
        from booking.sms import checks  # noqa: F401 - registers the system checks
