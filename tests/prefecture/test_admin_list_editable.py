"""Cells edited in an admin list (``list_editable``) are named for screen readers:
each input by its column and its row, not left without a label."""

import re

import pytest
from django.contrib import admin

from prefecture.admin_lists import ListEditableForm
from tests.factories import CategoryFactory, QuestionFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_every_list_with_editable_cells_names_them(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    editable = {
        model._meta.label: model_admin.get_changelist_form(request)
        for model, model_admin in admin.site._registry.items()
        if model_admin.list_editable
    }
    assert set(editable) >= {"booking.Site", "faq.Category", "faq.Question"}
    assert all(issubclass(form, ListEditableForm) for form in editable.values())


@pytest.mark.parametrize(
    ("url", "make", "expected"),
    [
        (
            "/admin/faq/question/",
            lambda: QuestionFactory(question_fr="Où retirer mon titre ?"),
            ["Ordre — Où retirer mon titre ?", "Publiée — Où retirer mon titre ?"],
        ),
        (
            "/admin/faq/category/",
            lambda: CategoryFactory(name_fr="Titres de séjour"),
            ["Ordre — Titres de séjour"],
        ),
        (
            "/admin/booking/site/",
            lambda: SiteFactory(name="Accueil principal"),
            ["Ordre — Accueil principal", "Actif — Accueil principal"],
        ),
    ],
)
def test_list_inputs_are_named_by_column_and_row(admin_client, url, make, expected):
    make()

    page = admin_client.get(url).content.decode()

    inputs = re.findall(r'<input [^>]*name="form-0-(?!id\b)[^"]*"[^>]*>', page)
    labels = [re.search(r'aria-label="([^"]*)"', tag) for tag in inputs]
    assert [label.group(1) for label in labels if label] == expected
    assert len(inputs) == len(expected)
