"""The SMS texts, one per kind and language: GSM-7 only, one segment (160 characters),
and no more personal data than needed (lock screens show them)."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

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


CONFIRMED = gettext_noop(
    "Préfecture du Loiret : RDV confirmé le %(date)s à %(time)s, %(site)s. "
    "Réf. %(reference)s. Gérer : %(url)s"
)
REMINDER = gettext_noop(
    "Préfecture du Loiret : rappel, RDV le %(date)s à %(time)s, %(site)s. "
    "Réf. %(reference)s. Gérer : %(url)s"
)
MOVED = gettext_noop(
    "Préfecture du Loiret : RDV déplacé au %(date)s à %(time)s, %(site)s. "
    "Réf. %(reference)s. Gérer : %(url)s"
)


def _when(starts_at) -> dict[str, str]:
    local = timezone.localtime(starts_at)
    return {"date": local.strftime("%d/%m"), "time": local.strftime("%H:%M")}


def _appointment(template: str, *, booking, url: str) -> str:
    with translation.override(booking.language):
        text = _(template) % {
            **_when(booking.slot.starts_at),
            "site": booking.slot.site.short_name,
            "reference": booking.reference,
            "url": url,
        }
    return to_gsm7(text)


def booking_confirmed(*, booking, url: str) -> str:
    return _appointment(CONFIRMED, booking=booking, url=url)


def booking_reminder(*, booking, url: str) -> str:
    return _appointment(REMINDER, booking=booking, url=url)


def booking_moved(*, booking, url: str) -> str:
    return _appointment(MOVED, booking=booking, url=url)


def booking_cancelled(*, booking) -> str:
    with translation.override(booking.language):
        text = _(
            "Préfecture du Loiret : votre RDV du %(date)s à %(time)s (réf. "
            "%(reference)s) est annulé."
        ) % {**_when(booking.slot.starts_at), "reference": booking.reference}
    return to_gsm7(text)


def booking_link_resent(*, booking, url: str) -> str:
    with translation.override(booking.language):
        text = _(
            "Préfecture du Loiret : lien pour gérer votre RDV du %(date)s à %(time)s : "
            "%(url)s"
        ) % {**_when(booking.slot.starts_at), "url": url}
    return to_gsm7(text)


def booking_manage_code(*, booking, code: str, minutes: int) -> str:
    with translation.override(booking.language):
        text = _(
            "Préfecture du Loiret : code %(code)s pour modifier votre RDV. Valable "
            "%(minutes)d minutes. Ne le donnez à personne."
        ) % {"code": code, "minutes": minutes}
    return to_gsm7(text)
