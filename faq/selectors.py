"""Reads shared by the FAQ pages: a fixed number of queries whatever the FAQ's size."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.cache import cache
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from faq.models import Announcement, Category, Question


def question_list_matching(query: str) -> QuerySet[Question]:
    """Published questions whose French or English text matches ``query``.

    PostgreSQL: full-text search (French and English configurations, web-search
    syntax, so any input is valid); elsewhere a plain substring match.
    """
    published = Question.objects.filter(is_published=True)
    if not query:
        return published
    substring = (
        Q(question_fr__icontains=query)
        | Q(question_en__icontains=query)
        | Q(answer_fr__icontains=query)
        | Q(answer_en__icontains=query)
    )
    if connection.vendor != "postgresql":
        return published.filter(substring)
    french = SearchVector("question_fr", "answer_fr", config="french")
    english = SearchVector("question_en", "answer_en", config="english")
    return published.annotate(french=french, english=english).filter(
        Q(french=SearchQuery(query, config="french", search_type="websearch"))
        | Q(english=SearchQuery(query, config="english", search_type="websearch"))
        | substring
    )


@dataclass(frozen=True)
class CategoryQuestions:
    category: Category
    questions: list[Question]


def category_list_with_questions(*, query: str = "") -> list[CategoryQuestions]:
    """Categories in order, each with its published (and matching) questions; empty
    categories left out. Two queries."""
    questions = question_list_matching(query).order_by("position", "pk")
    categories = Category.objects.prefetch_related(
        Prefetch("questions", queryset=questions, to_attr="shown_questions")
    )
    groups = (CategoryQuestions(c, c.shown_questions) for c in categories)  # type: ignore[attr-defined]
    return [group for group in groups if group.questions]


def question_get_for_display(*, slug: str, include_unpublished: bool) -> Question:
    """The question behind a permalink; agents may preview unpublished ones."""
    questions = Question.objects.select_related("category")
    if not include_unpublished:
        questions = questions.filter(is_published=True)
    return questions.get(slug=slug)


ANNOUNCEMENTS_CACHE_KEY = "faq:announcements"
ANNOUNCEMENTS_CACHE_SECONDS = 300  # a safety net: every change clears it at once


def announcement_list_active(*, now: datetime) -> list[Announcement]:
    """The announcements shown at ``now``. Every public page shows them: the ones not
    over yet are kept in the shared cache (cleared when an agent saves or deletes
    one, faq.signals) and the time window is applied here, so a scheduled one still
    appears and disappears on time."""
    current = cache.get(ANNOUNCEMENTS_CACHE_KEY)
    if current is None:
        current = list(
            Announcement.objects.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        )
        cache.set(ANNOUNCEMENTS_CACHE_KEY, current, ANNOUNCEMENTS_CACHE_SECONDS)
    return [
        a
        for a in current
        if a.starts_at <= now and (a.ends_at is None or a.ends_at > now)
    ]


def announcements_changed() -> None:
    cache.delete(ANNOUNCEMENTS_CACHE_KEY)
