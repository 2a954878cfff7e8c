"""FAQ search as people type on any keyboard: without accents, in any case, and
the questions that name the words before the answers that only mention them."""

import re
from html import unescape

import pytest

from faq.models import Question
from faq.selectors import category_list_with_questions, search_words
from prefecture.text_fold import fold, folded
from tests.factories import CategoryFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def shown_questions(client, query: str, prefix: str = "") -> list[str]:
    html = client.get(f"{prefix}/faq/", {"q": query}).content.decode()
    found = re.findall(r'class="fr-accordion__btn"[^>]*>([^<]+)</button>', html)
    return [unescape(text) for text in found]


@pytest.fixture
def faq():
    titles = CategoryFactory(name_fr="Titres", position=1)
    booking = CategoryFactory(name_fr="Rendez-vous", position=2)
    return {
        "receipt_in_answer": QuestionFactory(
            category=titles,
            question_fr="Mon titre expire bientôt, que faire ?",
            question_en="My permit expires soon, what should I do?",
            answer_fr="Déposez votre demande : un récépissé vous sera remis.",
            answer_en="Apply online: you will be given a receipt.",
        ),
        "receipt": QuestionFactory(
            category=booking,
            question_fr="Puis-je prendre rendez-vous avec un récépissé ?",
            question_en="Can I book an appointment with a receipt?",
            answer_fr="Oui.",
            answer_en="Yes.",
        ),
        "numero": QuestionFactory(
            category=booking,
            question_fr="Mon numéro étranger est indiqué comme invalide",
            question_en="My foreign national number is said to be invalid",
            answer_fr="Vérifiez les 10 chiffres.",
            answer_en="Check the 10 digits.",
        ),
        "aps": QuestionFactory(
            category=booking,
            question_fr="Je suis titulaire d'une APS, puis-je prendre rendez-vous ?",
            question_en="I hold an APS, can I book an appointment?",
            answer_fr="Oui, avec votre autorisation provisoire de séjour.",
            answer_en="Yes, with your temporary residence permit.",
        ),
    }


def test_search_words_are_folded_and_split():
    assert search_words("  Numéro ÉTRANGER ? ") == ["numero", "etranger"]
    assert search_words("d'un récépissé") == ["un", "recepisse"]
    assert search_words("l") == ["l"]


@pytest.mark.parametrize("query", ["recepisse", "RECEPISSE", "Récépissé", "récepissé"])
def test_recepisse_found_without_accents_in_any_case(client, faq, query):
    assert shown_questions(client, query) == [
        faq["receipt"].question_fr,
        faq["receipt_in_answer"].question_fr,
    ]


def test_question_that_names_the_word_comes_before_an_answer_that_mentions_it(faq):
    groups = category_list_with_questions(query="recepisse")
    # "Rendez-vous" (position 2) holds the question that names it: it comes first.
    assert [group.category.name_fr for group in groups] == ["Rendez-vous", "Titres"]
    assert [q.pk for g in groups for q in g.questions] == [
        faq["receipt"].pk,
        faq["receipt_in_answer"].pk,
    ]


@pytest.mark.parametrize(
    "query", ["numero etranger", "NUMERO ETRANGER", "etranger numero"]
)
def test_numero_etranger_found_without_accents_words_in_any_order(client, faq, query):
    assert shown_questions(client, query) == [faq["numero"].question_fr]


@pytest.mark.parametrize("query", ["APS", "aps", "Aps"])
def test_aps_found_in_any_case(client, faq, query):
    assert shown_questions(client, query) == [faq["aps"].question_fr]


def test_english_search_finds_english_text_in_any_case(client, faq):
    assert shown_questions(client, "RECEIPT", prefix="/en") == [
        faq["receipt"].question_en,
        faq["receipt_in_answer"].question_en,
    ]
    assert shown_questions(client, "foreign NATIONAL number", prefix="/en") == [
        faq["numero"].question_en
    ]


def test_every_word_must_be_found(client, faq):
    assert shown_questions(client, "recepisse zephyrin") == []


def test_the_database_folds_a_column_as_python_folds_a_query():
    text = "Récépissé ÉLÈVE Ça Ñandú Łódź Œuvre Straße ÀÂÄÎÏÔÖÙÛÜŸ"
    QuestionFactory(question_fr=text)
    from_database = Question.objects.annotate(plain=folded("question_fr")).values_list(
        "plain", flat=True
    )
    assert list(from_database) == [fold(text)]
    assert fold(text) == "recepisse eleve ca nandu łodz œuvre straße aaaiioouuuy"
