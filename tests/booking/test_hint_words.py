"""Words that do not mislead (issue 16): the mobile's hint never says "numéro
étranger" (on these pages, the residence-permit number), and the postal code asked
is the one printed on the title, as the FAQ and the register-check error say; in
French and in English."""

import html

import pytest

from booking.models import WaitingMode
from tests.booking.flow import IDENTITY

pytestmark = pytest.mark.django_db

POSTAL_HINT = {
    "fr": "Le code postal inscrit sur votre titre de séjour, même si vous avez "
    "déménagé depuis",
    "en": "The postcode printed on your residence permit, even if you have moved since",
}
MOBILE_HINT = {
    "fr": "avec un numéro de portable non français, indiquez aussi votre adresse "
    "électronique",
    "en": "with a non-French mobile number, also give your",
}
PREFIX = {"fr": "", "en": "/en"}


def page_text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def at_identity(client, renewal, language: str) -> str:
    client.post(
        f"{PREFIX[language]}/rendez-vous/",
        {"situation": "titre_sejour", "procedure": renewal.pk},
    )
    return page_text(client.get(f"{PREFIX[language]}/rendez-vous/identite/"))


def past_identity(client, renewal, language: str) -> None:
    at_identity(client, renewal, language)
    response = client.post(f"{PREFIX[language]}/rendez-vous/identite/", IDENTITY)
    assert response.status_code == 302


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_postal_code_hint_says_the_one_on_the_title(client, renewal, language):
    page = at_identity(client, renewal, language)
    assert "Code postal" in page or "Postcode" in page or "Postal code" in page
    assert POSTAL_HINT[language] in page
    assert "de votre adresse, 5 chiffres" not in page


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_mobile_hint_says_non_french_mobile_never_numero_etranger(
    client, renewal, title, slot, language
):
    past_identity(client, renewal, language)
    client.post(f"{PREFIX[language]}/rendez-vous/creneaux/", {"slot": slot.pk})
    page = page_text(client.get(f"{PREFIX[language]}/rendez-vous/coordonnees/"))
    assert MOBILE_HINT[language] in page
    assert "avec un numéro étranger" not in page
    assert "with a foreign number" not in page


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_waiting_list_mobile_hint_says_non_french_mobile(
    client, renewal, title, language
):
    renewal.waiting_mode = WaitingMode.LIST
    renewal.save()
    past_identity(client, renewal, language)
    page = page_text(client.get(f"{PREFIX[language]}/rendez-vous/liste-attente/"))
    assert MOBILE_HINT[language] in page
    assert "avec un numéro étranger" not in page
    assert "with a foreign number" not in page
