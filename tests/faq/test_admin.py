import pytest
from django.contrib.contenttypes.models import ContentType

from faq.models import Question
from tests.factories import CategoryFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def test_agent_edits_a_question_and_the_history_keeps_who_and_what(
    admin_client, admin_user
):
    question = QuestionFactory(question_fr="Ancienne question")
    url = f"/admin/faq/question/{question.pk}/change/"
    form = {
        "category": question.category.pk,
        "slug": question.slug,
        "position": 3,
        "is_published": "on",
        "question_fr": "Nouvelle question",
        "answer_fr": "Nouvelle réponse",
        "question_en": "New question",
        "answer_en": "New answer",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.question_fr == "Nouvelle question"
    latest = question.history.first()
    assert latest.history_user == admin_user
    assert latest.history_type == "~"
    history_page = admin_client.get(f"{url[: -len('change/')]}history/")
    html = history_page.content.decode()
    assert "Nouvelle question" in html
    # In the agents' words, as the booking desks' histories: French headers, the
    # position's change, "—" for no reason (not "None", not "Changes").
    assert "Modifié par" in html and "Changes" not in html and "None" not in html


def test_question_list_filters_searches_and_costs_fixed_queries(
    admin_client, django_assert_max_num_queries
):
    for _ in range(30):
        QuestionFactory(category=CategoryFactory())
    QuestionFactory(question_fr="Récépissé perdu", is_published=False)
    response = admin_client.get("/admin/faq/question/", {"q": "perdu"})
    assert "Récépissé perdu" in response.content.decode()
    response = admin_client.get("/admin/faq/question/", {"is_published__exact": "0"})
    assert "1 question" in response.content.decode()
    with django_assert_max_num_queries(12):
        admin_client.get("/admin/faq/question/")


def test_admin_offers_a_preview_link_to_the_public_page(admin_client):
    question = QuestionFactory(slug="apercu", is_published=False)
    content_type = ContentType.objects.get_for_model(Question)
    html = admin_client.get(
        f"/admin/faq/question/{question.pk}/change/"
    ).content.decode()
    preview = f"/admin/r/{content_type.pk}/{question.pk}/"
    assert preview in html
    response = admin_client.get(preview, follow=True)
    assert response.redirect_chain[-1][0].endswith("/faq/apercu/")
    assert response.status_code == 200


def test_announcement_with_end_before_start_is_refused(admin_client):
    response = admin_client.post(
        "/admin/faq/announcement/add/",
        {
            "level": "info",
            "starts_at_0": "10/01/2027",
            "starts_at_1": "10:00",
            "ends_at_0": "09/01/2027",
            "ends_at_1": "10:00",
            "title_fr": "Fermeture",
        },
    )
    assert response.status_code == 200
    assert "errornote" in response.content.decode()


def test_the_slug_help_says_the_address_in_plain_text(admin_client):
    """Its "<identifiant>" was read as an HTML tag: "/faq//." on the page."""
    page = admin_client.get("/admin/faq/question/add/").content.decode()
    assert (
        "/faq/ suivi de cet identifiant (par exemple /faq/renouveler-mon-titre/)"
        in (page)
    )
