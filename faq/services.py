"""Writes to the FAQ that are not plain admin edits."""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import transaction

from faq.models import Announcement, Category, Question

SEED_FILE = Path(__file__).resolve().parent / "data" / "faq_loiret.json"


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
                    **{
                        key: entry[key]
                        for key in (
                            "question_fr",
                            "question_en",
                            "answer_fr",
                            "answer_en",
                        )
                    },
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
