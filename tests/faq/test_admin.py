import zoneinfo
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from faq.models import Announcement, Question
from faq.services import faq_seed
from tests.factories import AnnouncementFactory, CategoryFactory, QuestionFactory

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


def test_announcement_list_shows_each_window_in_paris_time(admin_client):
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    AnnouncementFactory(
        title_fr="Travaux",
        starts_at=datetime(2027, 1, 10, 9, 0, tzinfo=UTC),
        ends_at=datetime(2027, 7, 1, 22, 0, tzinfo=UTC),
    )
    AnnouncementFactory(
        title_fr="Sans fin", starts_at=datetime(2027, 1, 10, 10, 0, tzinfo=paris)
    )
    AnnouncementFactory(title_fr="Sans dates", starts_at=None)
    html = unescape(admin_client.get("/admin/faq/announcement/").content.decode())
    assert "période d'affichage" in html.lower()
    assert "du 10 janvier 2027 10:00 au 2 juillet 2027 00:00" in html
    assert "à partir du 10 janvier 2027 10:00, sans fin" in html
    assert "sans début ni fin" in html


def test_agents_end_the_seeded_notice_and_it_leaves_every_page(
    client, admin_client, admin_user, django_capture_on_commit_callbacks
):
    faq_seed(now=timezone.now() - timedelta(days=30))
    notice = Announcement.objects.get()
    assert notice.title_fr in unescape(client.get("/").content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/faq/announcement/",
            {"action": "end_now", "_selected_action": [notice.pk]},
            follow=True,
        )
    assert "1 annonce n&#x27;est plus affichée." in response.content.decode()
    notice.refresh_from_db()
    assert notice.ends_at is not None and notice.ends_at <= timezone.now()
    assert notice.history.first().history_user == admin_user
    assert notice.title_fr not in unescape(client.get("/").content.decode())
    assert Announcement.objects.count() == 1  # kept, with its dates, for the record


def test_ending_an_announcement_not_shown_says_so_and_changes_nothing(admin_client):
    later = AnnouncementFactory(
        title_fr="Plus tard", starts_at=timezone.now() + timedelta(days=1)
    )
    response = admin_client.post(
        "/admin/faq/announcement/",
        {"action": "end_now", "_selected_action": [later.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "« Plus tard » n&#x27;est pas affichée en ce moment" in html
    later.refresh_from_db()
    assert later.ends_at is None
