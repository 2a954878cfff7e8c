"""Every error an applicant can meet reads in English on the /en/ pages, and the English
catalogue translates each of them."""

import html as html_module
import re
from datetime import date, timedelta

import polib
import pytest
from django.test import Client
from django.utils import timezone, translation

from booking.manage_links import manage_path
from booking.models import Hold, OutgoingMessage
from booking.views.applying import GENERIC_MISMATCH
from tests.booking import flow
from tests.factories import (
    BookingFactory,
    ProcedureFactory,
    SlotFactory,
    TitleRecordFactory,
)

# Words of the French domain that the English pages keep on purpose.
KEPT_FRENCH = re.compile(
    r"numéro étranger|récépissé|titre de séjour|carte de résident|préfecture",
    re.IGNORECASE,
)
FRENCH_WORDS = re.compile(
    r"\b(nous|vous|votre|vos|le|la|les|de|du|des|un|une|est|pas|ce|cette|ces|et|"
    r"pour|sur|avec|saisissez|choisissez|vérifiez|réessayez|indiquez|chiffres|essais|"
    r"créneau|rendez-vous|trop|tard|merci)\b",
    re.IGNORECASE,
)
FRENCH_LETTERS = re.compile(r"[éèêàâçùûôîœ]", re.IGNORECASE)

ERRORS = re.compile(
    r'<li class="fr-error-text">(.*?)</li>'
    r'|<div class="fr-alert fr-alert--(?:error|info|warning)[^"]*"[^>]*>(.*?)</div>',
    re.DOTALL,
)

# The flow's own data, with the numéro as the register holds it (ten digits).
IDENTITY = {**flow.IDENTITY, "numero_etranger": "2008006503"}
CONTACT = flow.CONTACT


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    # A request to /en/ leaves English active in the thread: the next test must not
    # reverse its URLs under /en/.
    yield
    translation.deactivate()


def error_texts(page: str) -> list[str]:
    texts = []
    for groups in ERRORS.findall(page):
        raw = next(group for group in groups if group)
        text = " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", raw)).split())
        if text:
            texts.append(text)
    return texts


def french_in(text: str) -> list[str]:
    kept_out = KEPT_FRENCH.sub("", text)
    return FRENCH_WORDS.findall(kept_out) + FRENCH_LETTERS.findall(kept_out)


def manage_path_in_english(booking) -> str:
    with translation.override("en"):
        return manage_path(booking)


class Applicant:
    """An applicant on the English pages, one step after the other."""

    def __init__(self, settings):
        self.settings = settings
        self.client = Client()
        self.procedure = ProcedureFactory()
        self.slot = SlotFactory(procedure=self.procedure, capacity=1)
        TitleRecordFactory(
            numero_etranger="2008006503",
            valid_until=date(2028, 3, 31),
            postal_code="45000",
        )

    def post(self, path: str, data: dict) -> str:
        response = self.client.post("/en/rendez-vous/" + path, data, follow=True)
        return response.content.decode()

    def gate(self) -> str:
        return self.post(
            "", {"situation": "titre_sejour", "procedure": self.procedure.pk}
        )

    def identity(self, **changes) -> str:
        self.gate()
        return self.post("identite/", {**IDENTITY, **changes})

    def hold(self) -> str:
        self.identity()
        return self.post("creneaux/", {"slot": self.slot.pk})

    def details(self, **changes) -> str:
        self.hold()
        return self.post("coordonnees/", {**CONTACT, **changes})

    def second_factor(self, booking, code: str = "") -> str:
        """Asks for the one-time code, then types ``code`` (or the right one)."""
        path = manage_path_in_english(booking)
        self.client.post(path, {"send": "1"})
        sms = booking.messages.filter(kind=OutgoingMessage.Kind.BOOKING_MANAGE_CODE)
        right = sms.order_by("-pk").first().body.split("code ")[1][:6]
        response = self.client.post(path, {"code": code or right}, follow=True)
        return response.content.decode()


def too_many_identity_checks(applicant: Applicant) -> str:
    applicant.settings.BOOKING_CHECK_LIMITS = {"session": 1, "ip": 100, "numero": 100}
    applicant.identity(postal_code="45100")
    return applicant.post("identite/", IDENTITY)


def slot_taken(applicant: Applicant) -> str:
    applicant.identity()
    BookingFactory(slot=applicant.slot)
    return applicant.post("creneaux/", {"slot": applicant.slot.pk})


def hold_expired(applicant: Applicant) -> str:
    applicant.hold()
    Hold.objects.all().delete()  # the hold expired, and someone booked the place
    BookingFactory(slot=applicant.slot)
    return applicant.post("coordonnees/", CONTACT)


def already_booked(applicant: Applicant) -> str:
    BookingFactory(numero_etranger="2008006503")
    return applicant.identity()


def wrong_second_factor(applicant: Applicant) -> str:
    booking = BookingFactory(numero_etranger="2008006503")
    return applicant.second_factor(booking, "000000")


def too_many_second_factors(applicant: Applicant) -> str:
    applicant.settings.BOOKING_MANAGE_CODES_PER_DAY = 100
    booking = BookingFactory(numero_etranger="2008006503")
    for _ in range(5):
        applicant.second_factor(booking, "000000")
    return applicant.second_factor(booking)


def too_late_to_cancel(applicant: Applicant) -> str:
    soon = SlotFactory(starts_at=timezone.now() + timedelta(hours=5))
    booking = BookingFactory(numero_etranger="2008006503", slot=soon)
    applicant.second_factor(booking)
    response = applicant.client.post(
        manage_path_in_english(booking) + "annuler/", follow=True
    )
    return response.content.decode()


# What happens, and a piece of the French text that must not show.
SCENARIOS = {
    "gate-no-situation": (
        lambda a: a.post("", {"procedure": a.procedure.pk}),
        "Indiquez votre situation",
    ),
    "gate-no-procedure": (
        lambda a: a.post("", {"situation": "aps"}),
        "Choisissez votre démarche",
    ),
    "gate-unknown-procedure": (
        lambda a: a.post("", {"situation": "aps", "procedure": "99999"}),
        "Cette démarche n’est pas proposée",
    ),
    "flow-expired": (lambda a: a.post("identite/", IDENTITY), "Votre demande a expiré"),
    "identity-mismatch": (
        lambda a: a.identity(postal_code="45100"),
        "Nous ne trouvons pas de titre",
    ),
    "too-many-attempts": (too_many_identity_checks, "Trop d’essais"),
    "numero-invalid": (
        lambda a: a.identity(numero_etranger="12345678"),
        "Ce numéro étranger n’est pas valide",
    ),
    "numero-too-long": (
        lambda a: a.identity(numero_etranger="9" * 41),
        "Ce numéro est trop long",
    ),
    "numero-nine-digits": (
        lambda a: a.identity(numero_etranger="208006503"),
        "Votre numéro a 9 chiffres",
    ),
    "date-invalid": (
        lambda a: a.identity(valid_until="31/02/2027"),
        "Cette date n’existe pas",
    ),
    "date-format": (
        lambda a: a.identity(valid_until="31/12"),
        "Saisissez la date au format JJ/MM/AAAA",
    ),
    "postal-code-invalid": (
        lambda a: a.identity(postal_code="45A00"),
        "Un code postal a 5 chiffres",
    ),
    "already-booked": (already_booked, "Vous avez déjà un rendez-vous"),
    "slot-not-in-list": (
        lambda a: a.identity() and a.post("creneaux/", {"slot": "x"}),
        "Choisissez un créneau dans la liste",
    ),
    "slot-taken": (slot_taken, "Ce créneau vient d’être pris"),
    "hold-expired": (hold_expired, "le délai de réservation était dépassé"),
    "phone-invalid": (lambda a: a.details(mobile="12"), "n’est pas valide"),
    "phone-landline": (
        lambda a: a.details(mobile="01 23 45 67 89"),
        "téléphone fixe",
    ),
    "email-invalid": (
        lambda a: a.details(email="awa@"),
        "adresse électronique n’est pas valide",
    ),
    "honeypot": (lambda a: a.details(website="x"), "n’a pas pu être traitée"),
    "second-factor-wrong": (wrong_second_factor, "n’est pas le bon"),
    "second-factor-too-many": (too_many_second_factors, "Trop d’essais"),
    "too-late-to-change": (too_late_to_cancel, "trop tard"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_applicant_errors_read_in_english(scenario, settings):
    act, french = SCENARIOS[scenario]
    page = act(Applicant(settings))
    assert french not in page
    texts = error_texts(page)
    assert texts
    assert {text: french_in(text) for text in texts} == {text: [] for text in texts}


# The French source of each error above (msgids), as makemessages reads them.
APPLICANT_ERRORS = [
    str(GENERIC_MISMATCH),
    "Trop d’essais infructueux. Par sécurité, réessayez dans %(minutes)d minutes.",
    "Trop de demandes depuis votre connexion en peu de temps. Par sécurité, "
    "réessayez dans %(minutes)d minutes.",
    "Votre demande a expiré ou n’a pas suivi les étapes : merci de recommencer depuis "
    "le début.",
    "Indiquez votre situation.",
    "Choisissez votre démarche.",
    "Cette démarche n’est pas proposée. Choisissez-en une.",
    "Saisissez votre numéro étranger.",
    "Ce numéro est trop long : un numéro étranger a 10 chiffres.",
    "Ce numéro étranger n’est pas valide : il a 10 chiffres (9 sur une carte "
    "d’avant 2017).",
    "Votre numéro a 9 chiffres (carte d’avant 2017) : nous utiliserons le numéro "
    "%(numero)s, avec un 0 ajouté après les deux premiers chiffres.",
    "Saisissez la date de validité de votre titre.",
    "Cette date n’existe pas : vérifiez le jour et le mois.",
    "Saisissez la date au format JJ/MM/AAAA, par exemple 31/12/2027.",
    "Saisissez votre code postal.",
    "Un code postal a 5 chiffres, par exemple 45000.",
    "Vous avez déjà un rendez-vous",
    "Choisissez un créneau dans la liste.",
    "Ce créneau vient d’être pris. Choisissez-en un autre.",
    "Ce créneau n’est pas proposé. Choisissez-en un dans la liste.",
    "Ce créneau vient d’être pris : le délai de réservation était dépassé. "
    "Choisissez-en un autre ; vos coordonnées ne sont pas perdues si vous revenez.",
    "Saisissez votre numéro de téléphone portable.",
    "Ce numéro est celui d’un téléphone fixe : indiquez un numéro de portable, qui "
    "peut recevoir des SMS.",
    "Ce numéro de téléphone n’est pas valide. Exemples : 06 12 34 56 78, +33 6 12 34 "
    "56 78, +44 7911 123456.",
    "Cette adresse électronique n’est pas valide. Format attendu : nom@domaine.fr",
    "Votre demande n’a pas pu être traitée. Réessayez.",
    "La vérification anti-robot a échoué ou a expiré : rechargez la page et réessayez.",
    "Saisissez le code à 6 chiffres reçu par SMS.",
    "Saisissez les 6 chiffres du code, par exemple 123456.",
    "Ce code n’est pas le bon ou n’est plus valable. Vérifiez le dernier SMS reçu, "
    "ou demandez un nouveau code.",
    "Aucun code n’a pu être envoyé : vous avez déjà demandé plusieurs codes "
    "aujourd’hui, ou ce numéro a déjà reçu trop de SMS de notre part aujourd’hui. "
    "Utilisez le dernier code reçu, réessayez demain, ou adressez-vous à l’accueil "
    "de la préfecture.",
    "Trop de créneaux sont déjà réservés en ce moment depuis votre connexion. "
    "Réessayez dans quelques minutes ou terminez une réservation en cours.",
    "Nous n’envoyons de SMS qu’aux numéros de portable français (métropole et "
    "outre-mer). Indiquez un numéro français, ou gardez celui-ci et indiquez votre "
    "adresse électronique : vous y recevrez la confirmation et le lien pour gérer "
    "votre rendez-vous.",
    "Écrivez le nom comme sur le titre de séjour, en lettres latines (accents "
    "compris) : seuls l’espace, le trait d’union et l’apostrophe sont acceptés, sans "
    "chiffres ni autres signes.",
    "Il est trop tard pour modifier ce rendez-vous en ligne (moins de %(hours)d "
    "heures avant). Contactez l’accueil de la préfecture.",
    "Ce rendez-vous n’est plus actif.",
]


def test_the_english_catalogue_translates_every_applicant_error(settings):
    path = settings.BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(path))
    translated = {
        entry.msgid: entry.msgstr
        for entry in catalogue.translated_entries()
        if "fuzzy" not in entry.flags
    }
    missing = [msgid for msgid in APPLICANT_ERRORS if not translated.get(msgid)]
    assert missing == []
    with translation.override("en"):
        untranslated = [
            msgid for msgid in APPLICANT_ERRORS if translation.gettext(msgid) == msgid
        ]
    assert untranslated == []
