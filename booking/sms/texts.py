"""The SMS texts, one per kind and language: GSM-7 only, one segment (160 characters),
and no more personal data than needed (lock screens show them): no name, nothing the
applicant typed, and the préfecture's own words first.

One segment by construction: the link is never cut. When a text is too long, an
optional word goes first (the reference, which the link's page shows), then the
site's name is shortened; the admin refuses a site's SMS name longer than
``site_name_room()``, so that the shortening is only a safety net."""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from booking.sms.gsm7 import SEGMENT_SEPTETS, septets, to_gsm7

# The manage link's path at its longest: /rdv/<token>/ (/en/rdv/<token>/ in
# English), a token of at most 32 URL-safe characters.
MANAGE_TOKEN_MAX_LENGTH = 32
# The shortest room for a site's name that a sane PUBLIC_BASE_URL leaves (the system
# check's floor): the longest production address leaves 24.
SITE_NAME_MIN_ROOM = 16


class SmsTooLong(ValueError):
    """The link and the fixed words alone do not fit in one SMS (PUBLIC_BASE_URL far
    too long: the system check says so at start-up)."""


CARD_READY = gettext_noop(
    "Préfecture du Loiret : votre titre de séjour est disponible à %(site)s. "
    "Retrait du lundi au vendredi de 9h à 12h, avec ce SMS."
)
CARD_REMINDER = gettext_noop(
    "Préfecture du Loiret : rappel, votre titre de séjour vous attend à "
    "%(site)s, du lundi au vendredi de 9h à 12h."
)

# Each appointment kind: with its reference first, then without.
CONFIRMED = (
    gettext_noop(
        "Préfecture du Loiret : RDV confirmé le %(date)s à %(time)s, %(site)s. "
        "Réf. %(reference)s. Gérer : %(url)s"
    ),
    gettext_noop(
        "Préfecture du Loiret : RDV confirmé le %(date)s à %(time)s, %(site)s. "
        "Gérer : %(url)s"
    ),
)
REMINDER = (
    gettext_noop(
        "Préfecture du Loiret : rappel, RDV le %(date)s à %(time)s, %(site)s. "
        "Réf. %(reference)s. Gérer : %(url)s"
    ),
    gettext_noop(
        "Préfecture du Loiret : rappel, RDV le %(date)s à %(time)s, %(site)s. "
        "Gérer : %(url)s"
    ),
)
MOVED = (
    gettext_noop(
        "Préfecture du Loiret : RDV déplacé au %(date)s à %(time)s, %(site)s. "
        "Réf. %(reference)s. Gérer : %(url)s"
    ),
    gettext_noop(
        "Préfecture du Loiret : RDV déplacé au %(date)s à %(time)s, %(site)s. "
        "Gérer : %(url)s"
    ),
)
CANCELLED = gettext_noop(
    "Préfecture du Loiret : votre RDV du %(date)s à %(time)s (réf. %(reference)s) "
    "est annulé."
)

# Every text that names a site, with the values of its other fields at their longest.
_WITH_SITE = ((CARD_READY,), (CARD_REMINDER,), CONFIRMED, REMINDER, MOVED)


def _shorten(site: str, room: int) -> str:
    """The site's name cut to ``room`` septets, without a dangling space or sign."""
    kept = ""
    for char in site:
        if septets(kept + char) > room:
            break
        kept += char
    return kept.rstrip(" ,.;:-'(")


def _fit(templates: Sequence[str], *, site: str, language: str, **values: str) -> str:
    """The first template (in ``language``, in GSM-7) in which everything fits one
    segment; else the last one with the site's name shortened; never another value
    (the link) cut. Raises SmsTooLong when even that cannot fit."""
    site = to_gsm7(site)
    with translation.override(language):
        for template in templates:
            text = to_gsm7(_(template) % {**values, "site": site})
            if septets(text) <= SEGMENT_SEPTETS:
                return text
        template = _(templates[-1])
        room = SEGMENT_SEPTETS - septets(to_gsm7(template % {**values, "site": ""}))
        text = to_gsm7(template % {**values, "site": _shorten(site, room)})
    if septets(text) > SEGMENT_SEPTETS:
        raise SmsTooLong(templates[-1])
    return text


def longest_manage_url(language: str | None = None) -> str:
    """The manage link at its longest under PUBLIC_BASE_URL, in ``language`` (the
    SMS's budget): /rdv/<token>/, /en/rdv/<token>/ in English."""
    with translation.override(language or settings.LANGUAGE_CODE):
        path = reverse(
            "booking_short_link", kwargs={"token": "x" * MANAGE_TOKEN_MAX_LENGTH}
        )
    return settings.PUBLIC_BASE_URL + path


def site_name_room() -> int:
    """How many septets a site's SMS name may have so that every SMS keeps it whole,
    in every language, with the longest date, time, reference and manage link."""
    rooms = []
    for code, _name in settings.LANGUAGES:
        longest = {
            "date": "28/12",
            "time": "23:59",
            "reference": "X" * 8,
            "url": longest_manage_url(code),
            "site": "",
        }
        with translation.override(code):
            for templates in _WITH_SITE:
                empty = to_gsm7(_(templates[-1]) % longest)
                rooms.append(SEGMENT_SEPTETS - septets(empty))
    return min(rooms)


def card_ready(*, site: str, language: str) -> str:
    return _fit((CARD_READY,), site=site, language=language)


def card_reminder(*, site: str, language: str) -> str:
    return _fit((CARD_REMINDER,), site=site, language=language)


def _when(starts_at: datetime) -> dict[str, str]:
    """The day and the time in the préfecture's time (TIME_ZONE), whatever time zone
    is active."""
    local = timezone.localtime(starts_at, timezone.get_default_timezone())
    return {"date": local.strftime("%d/%m"), "time": local.strftime("%H:%M")}


def _appointment(templates: Sequence[str], *, booking, url: str) -> str:
    return _fit(
        templates,
        site=booking.slot.site.short_name,
        language=booking.language,
        reference=booking.reference,
        url=url,
        **_when(booking.slot.starts_at),
    )


def booking_confirmed(*, booking, url: str) -> str:
    return _appointment(CONFIRMED, booking=booking, url=url)


def booking_reminder(*, booking, url: str) -> str:
    return _appointment(REMINDER, booking=booking, url=url)


def booking_moved(*, booking, url: str) -> str:
    return _appointment(MOVED, booking=booking, url=url)


def booking_cancelled(*, booking, message: str = "") -> str:
    """The cancellation, followed by the agent's ``message`` when the whole still
    fits one segment (see cancellation_message_room); else without it."""
    with translation.override(booking.language):
        text = to_gsm7(
            _(CANCELLED)
            % {**_when(booking.slot.starts_at), "reference": booking.reference}
        )
    extra = cancellation_message(message)
    if extra and septets(text) + 1 + septets(extra) <= SEGMENT_SEPTETS:
        return f"{text} {extra}"
    return text


def cancellation_message(message: str) -> str:
    """The agent's message as the SMS carries it: one line, GSM-7 only."""
    return to_gsm7(" ".join((message or "").split()))


def cancellation_message_room(*, booking) -> int:
    """How many septets an agent's message may have in the cancellation SMS of
    ``booking`` (one segment in all)."""
    return max(0, SEGMENT_SEPTETS - septets(booking_cancelled(booking=booking)) - 1)


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


# The waiting list. The offer names the place and the answer's deadline; the link
# opens the offer (Accept / Decline).
WAITING_OFFER = gettext_noop(
    "Préfecture du Loiret : RDV proposé le %(date)s à %(time)s, %(site)s. "
    "Répondre avant %(deadline)s : %(url)s"
)


def waiting_joined(*, language: str, url: str) -> str:
    with translation.override(language):
        text = _(
            "Préfecture du Loiret : inscription sur la liste d'attente "
            "enregistrée. Suivi : %(url)s"
        ) % {"url": url}
    return to_gsm7(text)


def waiting_offer(
    *, site: str, starts_at: datetime, deadline: datetime, language: str, url: str
) -> str:
    local = timezone.localtime(deadline, timezone.get_default_timezone())
    return _fit(
        (WAITING_OFFER,),
        site=site,
        language=language,
        url=url,
        deadline=local.strftime("%d/%m %H:%M"),
        **_when(starts_at),
    )


def waiting_left(*, language: str, missed: int, url: str) -> str:
    with translation.override(language):
        text = _(
            "Préfecture du Loiret : %(missed)d places refusées ou sans réponse, vous "
            "quittez la liste d'attente. Nouvelle demande : %(url)s"
        ) % {"missed": missed, "url": url}
    return to_gsm7(text)


def waiting_removed(*, language: str) -> str:
    with translation.override(language):
        text = _(
            "Préfecture du Loiret : votre demande a été retirée de la liste "
            "d'attente par nos services. Renseignements à l'accueil."
        )
    return to_gsm7(text)


def waiting_code(*, code: str, minutes: int, language: str) -> str:
    with translation.override(language):
        text = _(
            "Préfecture du Loiret : code %(code)s pour votre demande en liste "
            "d'attente. Valable %(minutes)d minutes. Ne le donnez à personne."
        ) % {"code": code, "minutes": minutes}
    return to_gsm7(text)
