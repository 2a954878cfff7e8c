import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from faq.selectors import announcement_list_active
from tests.factories import AnnouncementFactory, CategoryFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def expanded_slugs(html: str) -> list[str]:
    return re.findall(r'aria-expanded="true" aria-controls="reponse-([^"]+)"', html)


def test_faq_groups_published_questions_by_category_in_order(client):
    second = CategoryFactory(name_fr="Retrait", position=2)
    first = CategoryFactory(name_fr="Rendez-vous", position=1)
    QuestionFactory(category=second, question_fr="Quand retirer ma carte ?")
    QuestionFactory(category=first, question_fr="Comment réserver ?")
    QuestionFactory(category=first, question_fr="Brouillon", is_published=False)

    html = client.get("/faq/").content.decode()

    assert html.index("Rendez-vous") < html.index("Comment réserver ?")
    assert html.index("Comment réserver ?") < html.index("Retrait")
    assert "Quand retirer ma carte ?" in html
    assert "Brouillon" not in html
    assert 'class="fr-accordion"' in html
    assert expanded_slugs(html) == []


def test_answer_markdown_is_rendered_and_dated(client):
    QuestionFactory(answer_fr="Voir [le site](https://www.loiret.gouv.fr).")
    html = client.get("/faq/").content.decode()
    assert '<a href="https://www.loiret.gouv.fr" rel="noopener noreferrer">' in html
    assert "Mis à jour le" in html


def test_permalink_opens_that_question_only(client):
    QuestionFactory(slug="autre")
    QuestionFactory(slug="recepisse", question_fr="Et le récépissé ?")
    response = client.get("/faq/recepisse/")
    html = response.content.decode()
    assert response.status_code == 200
    assert expanded_slugs(html) == ["recepisse"]
    assert "fr-collapse fr-collapse--expanded" in html
    assert "<title>Et le récépissé ? — Questions fréquentes" in html


def test_unknown_question_is_a_dsfr_404(client):
    response = client.get("/faq/n-existe-pas/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "fr-header" in html and "Page non trouvée" in html


def test_unpublished_question_is_hidden_from_visitors_but_previewed_by_agents(
    client, admin_client
):
    QuestionFactory(
        slug="brouillon", question_fr="Question en cours", is_published=False
    )
    assert client.get("/faq/brouillon/").status_code == 404
    preview = admin_client.get("/faq/brouillon/").content.decode()
    assert "Aperçu : cette question n’est pas publiée" in preview
    assert "Question en cours" in preview


def test_english_faq_shows_english_text_french_url_french_text(client):
    QuestionFactory(
        question_fr="Où est mon numéro ?", question_en="Where is my number?"
    )
    english = client.get("/en/faq/").content.decode()
    french = client.get("/faq/").content.decode()
    assert '<html lang="en"' in english and "Where is my number?" in english
    assert "Frequently asked questions" in english
    assert '<html lang="fr"' in french and "Où est mon numéro ?" in french


def test_english_falls_back_to_french_when_no_translation(client):
    QuestionFactory(question_fr="Seulement en français ?", question_en="")
    assert "Seulement en français ?" in client.get("/en/faq/").content.decode()


def test_french_text_on_an_english_page_says_it_is_french(client):
    category = CategoryFactory(name_fr="Titres de séjour", name_en="")
    QuestionFactory(
        category=category,
        question_fr="Seulement en français ?",
        question_en="",
        answer_fr="Réponse en français.",
        answer_en="",
    )
    QuestionFactory(category=category, question_en="Translated?", answer_en="Yes.")
    english = client.get("/en/faq/").content.decode()
    assert re.search(r'lang="fr"[^>]*>Seulement en français \?</button>', english)
    assert '<div class="faq-answer" lang="fr"><p>Réponse en français.</p>' in english
    assert re.search(r'lang="fr">Titres de séjour</h2>', english)
    assert re.search(r'aria-controls="reponse-[^"]+">Translated\?</button>', english)
    assert '<div class="faq-answer"><p>Yes.</p>' in english
    assert 'lang="fr">' not in client.get("/faq/").content.decode()


def test_untranslated_announcement_on_an_english_page_says_it_is_french(client):
    AnnouncementFactory(title_fr="Fermeture", title_en="", text_en="Closed.")
    english = client.get("/en/").content.decode()
    assert '<span class="fr-notice__title" lang="fr">Fermeture</span>' in english
    assert '<span class="fr-notice__desc">Closed.</span>' in english


def test_search_finds_matching_questions_only(client):
    QuestionFactory(question_fr="Renouveler mon récépissé", answer_fr="Sur l'ANEF.")
    QuestionFactory(question_fr="Retirer ma carte", answer_fr="Du lundi au vendredi.")
    html = client.get("/faq/", {"q": "récépissé"}).content.decode()
    assert "Renouveler mon récépissé" in html
    assert "Retirer ma carte" not in html
    assert "1 question correspond à « récépissé »" in html


@pytest.mark.postgres
def test_search_uses_french_stemming_on_postgresql(client):
    QuestionFactory(
        question_fr="Renouvellement des cartes", answer_fr="Prenez rendez-vous."
    )
    html = client.get("/faq/", {"q": "carte"}).content.decode()
    assert "Renouvellement des cartes" in html


def test_search_without_match_says_so(client):
    QuestionFactory()
    html = client.get("/faq/", {"q": "zzzzzz"}).content.decode()
    assert "Aucune question ne correspond à votre recherche" in html


@pytest.mark.parametrize(
    "query",
    [
        "",
        " ",
        "x" * 10_000,
        "'; DROP TABLE faq_question; --",
        "<script>alert(1)</script>",
        "🙂🇫🇷 carte",
        "\x00nul",
        '"unterminated',
        "-- or & | ! ( ) : * <-> ''",
        "%_%\\",
        "a" * 201,
    ],
)
def test_any_search_string_returns_a_page(client, query):
    QuestionFactory(question_fr="Carte de séjour")
    response = client.get("/faq/", {"q": query})
    # a NUL is refused at the edge (prefecture/middleware.py)
    assert response.status_code == (400 if "\x00" in query else 200)
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html


def test_too_long_search_says_what_is_wrong_next_to_the_field(client):
    html = client.get("/faq/", {"q": "a" * 201}).content.decode()
    assert "Votre recherche est trop longue : 200 caractères au plus" in html
    assert 'aria-describedby="id_q-desc-error"' in html
    assert 'id="id_q-desc-error"' in html


def test_faq_page_costs_a_fixed_number_of_queries(client, django_assert_num_queries):
    def page_queries(questions: int) -> int:
        for _ in range(questions):
            QuestionFactory(category=CategoryFactory())
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/faq/").status_code == 200
        return len(captured)

    client.get("/faq/")  # the announcements are cached from now on
    few = page_queries(2)
    many = page_queries(40)
    assert few == many
    with django_assert_num_queries(2):  # categories, questions (announcements: cache)
        client.get("/faq/")


def test_active_announcements_show_on_every_public_page(client):
    now = timezone.now()
    AnnouncementFactory(title_fr="Fermeture le 2 janvier", level="warning")
    AnnouncementFactory(title_fr="Ancienne annonce", starts_at=now - timedelta(days=9),
                        ends_at=now - timedelta(days=1))  # fmt: skip
    AnnouncementFactory(title_fr="Annonce future", starts_at=now + timedelta(days=1))
    for url in ("/", "/faq/", "/accessibilite/"):
        html = client.get(url).content.decode()
        assert "fr-notice fr-notice--warning" in html
        assert "Fermeture le 2 janvier" in html
        assert "Ancienne annonce" not in html and "Annonce future" not in html


def test_announcement_is_shown_in_english_at_english_urls(client):
    AnnouncementFactory(title_fr="Fermeture", title_en="Closure")
    assert "Closure" in client.get("/en/").content.decode()


def test_announcements_come_from_the_cache_and_follow_every_change(
    client, django_capture_on_commit_callbacks
):
    assert "Travaux" not in client.get("/").content.decode()  # cached: none
    with django_capture_on_commit_callbacks(execute=True):
        announcement = AnnouncementFactory(title_fr="Travaux")
    assert "Travaux" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        announcement.title_fr = "Travaux terminés"
        announcement.save()
    assert "Travaux terminés" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        announcement.delete()
    assert "Travaux" not in client.get("/").content.decode()


def test_a_cached_announcement_appears_and_disappears_on_time(client):
    now = timezone.now()
    AnnouncementFactory(
        title_fr="Plus tard",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    assert announcement_list_active(now=now) == []  # now cached
    later = [a.title_fr for a in announcement_list_active(now=now + timedelta(hours=1))]
    assert later == ["Plus tard"]
    assert announcement_list_active(now=now + timedelta(hours=2)) == []


def test_announcement_without_start_is_shown_at_once_until_its_end(client):
    now = timezone.now()
    AnnouncementFactory(title_fr="Dès maintenant", starts_at=None)
    AnnouncementFactory(title_fr="Déjà finie", starts_at=None, ends_at=now)
    html = client.get("/").content.decode()
    assert "Dès maintenant" in html and "Déjà finie" not in html
