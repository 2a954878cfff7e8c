"""Writes to the FAQ that are not plain admin edits."""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.urls import reverse
from django.utils import translation

from faq.models import Announcement, Category, Question

SEED_FILE = Path(__file__).resolve().parent / "data" / "faq_loiret.json"

# The préfecture's text sends people to its old booking page; the seeded FAQ sends
# them to this service's own (CONTRACT.md: /rendez-vous/), in their language.
OLD_BOOKING_URL = "https://www.loiret.gouv.fr/Prendre-un-rendez-vous-en-ligne"


def booking_links_rewritten(answer: str, *, language: str) -> str:
    """``answer`` with every link to the old booking page pointing at /rendez-vous/
    (/en/rendez-vous/ in English)."""
    with translation.override(language):
        return answer.replace(f"({OLD_BOOKING_URL})", f"({reverse('booking:start')})")


class AnnouncementNotShown(Exception):
    """The announcement is not on the pages at that moment: nothing to end."""

    def __init__(self, announcement: Announcement) -> None:
        super().__init__(announcement.pk)
        self.announcement = announcement


@transaction.atomic
def announcement_end(*, announcement_id: int, now: datetime) -> Announcement:
    """Takes a shown announcement off every public page from ``now`` (its end set to
    ``now``; the history keeps who did it); raises AnnouncementNotShown if it is not
    shown at ``now`` (not started yet, or already over)."""
    announcement = Announcement.objects.select_for_update().get(pk=announcement_id)
    if not announcement.is_shown_at(now):
        raise AnnouncementNotShown(announcement)
    announcement.ends_at = now
    if (
        announcement.starts_at == now
    ):  # ends after it starts (faq_announcement_ends_after_start)
        announcement.starts_at = None
    announcement.save(update_fields=["starts_at", "ends_at"])
    return announcement


@dataclass
class SeedReport:
    categories: int = 0
    questions: int = 0
    announcements: int = 0


@transaction.atomic
def faq_seed(*, now: datetime, path: Path = SEED_FILE) -> SeedReport:
    """Creates the préfecture's FAQ where missing; never overwrites what agents edited,
    so running it again changes nothing. Returns what it created."""
    data = json.loads(path.read_text(encoding="utf-8"))
    report = SeedReport()
    for position, item in enumerate(data["categories"], start=1):
        category, created = Category.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "name_fr": item["name_fr"],
                "name_en": item["name_en"],
                "position": position * 10,
            },
        )
        report.categories += created
        for question_position, entry in enumerate(item["questions"], start=1):
            _question, created = Question.objects.get_or_create(
                slug=entry["slug"],
                defaults={
                    "category": category,
                    "position": question_position * 10,
                    "question_fr": entry["question_fr"],
                    "question_en": entry["question_en"],
                    "answer_fr": booking_links_rewritten(
                        entry["answer_fr"], language="fr"
                    ),
                    "answer_en": booking_links_rewritten(
                        entry["answer_en"], language="en"
                    ),
                    "illustrations": entry.get("illustrations", ""),
                },
            )
            report.questions += created
    for entry in data["announcements"]:
        _announcement, created = Announcement.objects.get_or_create(
            title_fr=entry["title_fr"],
            defaults={**entry, "starts_at": now},
        )
        report.announcements += created
    return report
