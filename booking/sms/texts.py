"""The SMS texts, one per kind and language: GSM-7 only, one segment (160 characters),
and no more personal data than needed (lock screens show them)."""

from django.utils import translation
from django.utils.translation import gettext as _

from booking.sms.gsm7 import to_gsm7


def card_ready(*, site: str, language: str) -> str:
    with translation.override(language):
        text = _(
            "Préfecture du Loiret : votre titre de séjour est disponible à %(site)s. "
            "Retrait du lundi au vendredi de 9h à 12h, avec ce SMS."
        ) % {"site": site}
    return to_gsm7(text)


def card_reminder(*, site: str, language: str) -> str:
    with translation.override(language):
        text = _(
            "Préfecture du Loiret : rappel, votre titre de séjour vous attend à "
            "%(site)s, du lundi au vendredi de 9h à 12h."
        ) % {"site": site}
    return to_gsm7(text)
