import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.sms import gsm7, texts

LONGEST_SITE = "Sous-préfecture de Pithiviers — accueil"[:40].ljust(40, "x")
TEMPLATES = [texts.card_ready, texts.card_reminder]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_text_is_gsm7_and_one_segment_for_the_longest_site_name(
    template, language
):
    body = template(site=LONGEST_SITE, language=language)
    assert gsm7.is_gsm7(body)
    assert gsm7.segments(body) == 1, (len(body), body)


def test_card_ready_says_where_and_when():
    body = texts.card_ready(site="Orléans", language="fr")
    assert "disponible" in body and "Orléans" in body
    assert "du lundi au vendredi de 9h à 12h" in body
    english = texts.card_ready(site="Orléans", language="en")
    assert "Monday to Friday" in english


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l’accueil", "l'accueil"),
        ("«\u00a0bonjour\u00a0»", '" bonjour "'),
        ("9\u00a0h", "9 h"),
        ("fenêtre île côte où ça", "fenetre ile cote où ca"),
        ("Préfecture à 12h", "Préfecture à 12h"),  # é and à are GSM-7
        ("emoji 🙂", "emoji ?"),
    ],
)
def test_normalisation_to_gsm7(text, expected):
    assert gsm7.to_gsm7(text) == expected


@given(st.text(max_size=200))
def test_normalised_text_is_always_gsm7(text):
    assert gsm7.is_gsm7(gsm7.to_gsm7(text))


def test_extension_characters_count_twice():
    assert gsm7.septets("€") == 2
    assert gsm7.segments("a" * 160) == 1
    assert gsm7.segments("a" * 159 + "€") == 2
