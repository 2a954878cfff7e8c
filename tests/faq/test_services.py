import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from faq.markdown import render_markdown
from faq.models import Announcement, Category, Question
from faq.services import (
    OLD_BOOKING_URL,
    SEED_FILE,
    AnnouncementNotShown,
    announcement_end,
    faq_seed,
)
from tests.factories import AnnouncementFactory

SOURCE_TEXT = Path(SEED_FILE).with_name("faq-loiret.txt")  # the préfecture's text


def seed_questions() -> list[str]:
    """The préfecture's questions: the lines that end with a question mark."""
    lines = SOURCE_TEXT.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip().endswith("?")]


@pytest.mark.django_db
def test_seed_loads_every_question_of_the_prefecture_faq_with_an_english_version():
    faq_seed(now=timezone.now())
    expected = seed_questions()
    assert len(expected) == 11
    loaded = {q.question_fr: q for q in Question.objects.all()}
    assert sorted(loaded) == sorted(expected)
    for question in loaded.values():
        assert question.question_en and question.answer_en
        assert question.answer_fr and question.is_published


@pytest.mark.django_db
def test_seed_answers_keep_links_as_real_links():
    faq_seed(now=timezone.now())
    answers = "".join(render_markdown(q.answer_fr) for q in Question.objects.all())
    links = set(re.findall(r'href="([^"]+)"', answers))
    assert "https://invite.contacts-demarches.interieur.gouv.fr/Etrangers" in links
    assert (
        "https://www.demarches-simplifiees.fr/commencer/"
        "formulaire-etranger-premiere-demande-de-titre"
    ) in links
    assert "/rendez-vous/" in links


@pytest.mark.django_db
def test_seed_links_to_this_service_where_the_prefecture_linked_its_old_booking_page():
    assert SOURCE_TEXT.read_text(encoding="utf-8").count(OLD_BOOKING_URL) == 3
    faq_seed(now=timezone.now())
    french = [q.answer_fr for q in Question.objects.all()]
    english = [q.answer_en for q in Question.objects.all()]
    assert not any(OLD_BOOKING_URL in answer for answer in french + english)
    assert sum("](/rendez-vous/)" in answer for answer in french) == 3
    assert sum("](/en/rendez-vous/)" in answer for answer in english) == 3


@pytest.mark.django_db
def test_seed_turns_the_wrong_number_notice_into_a_dsfr_warning():
    faq_seed(now=timezone.now())
    relative = Question.objects.get(question_fr__contains="pour un proche")
    html = render_markdown(relative.answer_fr)
    assert "fr-alert--warning" in html
    assert "se réserve le droit de ne pas honorer" in html
    assert "!/" not in html


@pytest.mark.django_db
def test_seed_turns_the_mask_notice_into_an_active_announcement():
    now = timezone.now()
    faq_seed(now=now)
    announcement = Announcement.objects.get()
    assert "masque" in announcement.text_fr and "stylo" in announcement.text_fr
    assert announcement.text_en
    assert announcement.starts_at <= now and announcement.ends_at is None


@pytest.mark.django_db
def test_seed_twice_changes_nothing():
    first = faq_seed(now=timezone.now())
    snapshot = {
        "questions": list(Question.objects.values().order_by("pk")),
        "categories": list(Category.objects.values().order_by("pk")),
        "announcements": list(Announcement.objects.values().order_by("pk")),
        "history": Question.history.count(),
    }
    second = faq_seed(now=timezone.now())
    assert (first.questions, first.categories, first.announcements) == (11, 4, 1)
    assert (second.questions, second.categories, second.announcements) == (0, 0, 0)
    assert snapshot == {
        "questions": list(Question.objects.values().order_by("pk")),
        "categories": list(Category.objects.values().order_by("pk")),
        "announcements": list(Announcement.objects.values().order_by("pk")),
        "history": Question.history.count(),
    }


@pytest.mark.django_db
def test_seed_keeps_what_an_agent_edited():
    faq_seed(now=timezone.now())
    question = Question.objects.get(slug="recepisse")
    question.answer_fr = "Réponse revue par un agent."
    question.save()
    faq_seed(now=timezone.now())
    question.refresh_from_db()
    assert question.answer_fr == "Réponse revue par un agent."


@pytest.mark.django_db
def test_announcement_end_takes_it_off_from_now_and_refuses_one_not_shown():
    now = timezone.now()
    shown = AnnouncementFactory(starts_at=now - timedelta(days=3))
    ended = announcement_end(announcement_id=shown.pk, now=now)
    assert ended.ends_at == now and not ended.is_shown_at(now)
    assert ended.starts_at == now - timedelta(days=3)
    with pytest.raises(AnnouncementNotShown):
        announcement_end(announcement_id=shown.pk, now=now + timedelta(seconds=1))
    later = AnnouncementFactory(starts_at=now + timedelta(hours=1))
    with pytest.raises(AnnouncementNotShown):
        announcement_end(announcement_id=later.pk, now=now)
