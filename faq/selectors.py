"""Reads shared by the FAQ pages: a fixed number of queries whatever the FAQ's size."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Prefetch, Q, QuerySet, Value, When

from faq.models import Announcement, Category, Question
from prefecture import request_keys
from prefecture.text_fold import fold, folded

QUESTION_FIELDS = ("question_fr", "question_en")
TEXT_FIELDS = (*QUESTION_FIELDS, "answer_fr", "answer_en")


def search_words(query: str) -> list[str]:
    """The words of a query, folded (accents and case aside); one-letter words ("l'",
    "d'") left out unless there is nothing else."""
    words = re.findall(r"\w+", fold(query))
    return [word for word in words if len(word) > 1] or words


def _every_word_in(fields: tuple[str, ...], words: list[str]) -> Q:
    """Each word found in at least one of the folded ``fields``."""
    every = Q()
    for word in words:
        anywhere = Q()
        for field in fields:
            anywhere |= Q(**{f"folded_{field}__contains": word})
        every &= anywhere
    return every


def question_list_matching(query: str) -> QuerySet[Question]:
    """Published questions whose French or English text holds every word of
    ``query``, accents and case aside ("recepisse" finds "récépissé"), annotated
    with ``rank``: 1 when the question itself holds them, 0 when only its answer does;
    in that order, then by position.

    PostgreSQL also matches by full-text search on the folded text (French and
    English stemming: "renouveler" finds "renouvellement")."""
    published = Question.objects.filter(is_published=True)
    words = search_words(query)
    if not words:
        return published.annotate(rank=Value(0)).order_by("position", "pk")
    matching = published.annotate(
        **{f"folded_{field}": folded(field) for field in TEXT_FIELDS}
    )
    in_question = _every_word_in(QUESTION_FIELDS, words)
    in_text = _every_word_in(TEXT_FIELDS, words)
    if connection.vendor == "postgresql":
        plain = " ".join(words)
        french = SearchQuery(plain, config="french", search_type="websearch")
        english = SearchQuery(plain, config="english", search_type="websearch")
        matching = matching.annotate(
            question_french=SearchVector(folded("question_fr"), config="french"),
            question_english=SearchVector(folded("question_en"), config="english"),
            text_french=SearchVector(
                folded("question_fr"), folded("answer_fr"), config="french"
            ),
            text_english=SearchVector(
                folded("question_en"), folded("answer_en"), config="english"
            ),
        )
        in_question |= Q(question_french=french) | Q(question_english=english)
        in_text |= Q(text_french=french) | Q(text_english=english)
    return (
        matching.filter(in_text)
        .annotate(rank=Case(When(in_question, then=Value(1)), default=Value(0)))
        .order_by("-rank", "position", "pk")
    )


@dataclass(frozen=True)
class CategoryQuestions:
    category: Category
    questions: list[Question]


def category_list_with_questions(*, query: str = "") -> list[CategoryQuestions]:
    """Categories in order, each with its published (and matching) questions; empty
    categories left out. Searching, the questions that hold the words come before
    those whose answer only does, and so do their categories. Two queries."""
    questions = question_list_matching(query)
    categories = Category.objects.prefetch_related(
        Prefetch("questions", queryset=questions, to_attr="shown_questions")
    )
    groups = [CategoryQuestions(c, c.shown_questions) for c in categories]  # type: ignore[attr-defined]
    shown = [group for group in groups if group.questions]
    # sorted() keeps the categories' own order among equals.
    return sorted(shown, key=lambda group: -group.questions[0].rank)  # type: ignore[attr-defined]


def question_get_for_display(*, slug: str, include_unpublished: bool) -> Question:
    """The question behind a permalink; agents may preview unpublished ones."""
    questions = Question.objects.select_related("category")
    if not include_unpublished:
        questions = questions.filter(is_published=True)
    return questions.get(slug=slug)


ANNOUNCEMENTS_CACHE_KEY = request_keys.ANNOUNCEMENTS_KEY
ANNOUNCEMENTS_CACHE_SECONDS = 300  # a safety net: every change clears it at once


def announcement_list_active(*, now: datetime) -> list[Announcement]:
    """The announcements shown at ``now``. Every public page shows them: the ones not
    over yet are kept in the shared cache (cleared when an agent saves or deletes
    one, faq.signals) and the time window is applied here, so a scheduled one still
    appears and disappears on time."""
    current = request_keys.take("default", ANNOUNCEMENTS_CACHE_KEY)  # with the session
    if current is request_keys.UNKNOWN:
        current = cache.get(ANNOUNCEMENTS_CACHE_KEY)
    if not isinstance(current, list):  # none cached (MISSING, None)
        current = list(
            Announcement.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        )
        cache.set(ANNOUNCEMENTS_CACHE_KEY, current, ANNOUNCEMENTS_CACHE_SECONDS)
    return [a for a in current if a.is_shown_at(now)]


def announcements_changed() -> None:
    request_keys.forget("default", ANNOUNCEMENTS_CACHE_KEY)
    cache.delete(ANNOUNCEMENTS_CACHE_KEY)
