"""The identity step links to the drawings of where the numéro étranger is (issue 16,
item 8): right under the field, named in full, in a new tab that says so (what was
typed stays in the form), and the page it opens shows them."""

import html
import re

import pytest
from django.utils import timezone

from faq.services import faq_seed
from tests.booking.flow import IDENTITY, pass_gate

pytestmark = pytest.mark.django_db

PREFIX = {"fr": "", "en": "/en"}
LINK = re.compile(
    r'<a class="fr-link" href="(?P<href>[^"]+)"(?P<attrs>[^>]*)>(?P<text>.*?)</a>'
)


def where_link(page: str) -> re.Match:
    matches = [m for m in LINK.finditer(page) if "ou-trouver-mon-numero" in m["href"]]
    assert len(matches) == 1
    return matches[0]


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("fr", "Où trouver mon numéro étranger ? – nouvelle fenêtre"),
        # English wording comes from the catalogue; the structure is the same.
        ("en", None),
    ],
)
def test_the_link_sits_under_the_field_and_says_it_opens_a_new_tab(
    client, renewal, language, name
):
    client.post(
        f"{PREFIX[language]}/rendez-vous/",
        {"situation": "titre_sejour", "procedure": renewal.pk},
    )
    page = client.get(f"{PREFIX[language]}/rendez-vous/identite/").content.decode()

    link = where_link(page)
    assert link["href"] == (
        f"{PREFIX[language]}/faq/ou-trouver-mon-numero-etranger/"
        "#ou-trouver-mon-numero-etranger"
    )
    assert 'target="_blank"' in link["attrs"] and 'rel="noopener"' in link["attrs"]
    assert '<span class="fr-sr-only">' in link["text"]  # the new tab, told
    if name is not None:
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", link["text"])).split())
        assert text == name
    # Between the numéro étranger and the next field, as the layout reads.
    assert (
        page.index('id="id_numero_etranger"')
        < link.start()
        < page.index('id="id_valid_until"')
    )


def test_the_link_stays_when_the_form_comes_back_with_errors(client, renewal):
    pass_gate(client, renewal)

    response = client.post(
        "/rendez-vous/identite/", {**IDENTITY, "numero_etranger": "12"}
    )

    page = response.content.decode()
    assert "Ce numéro étranger n’est pas valide" in page
    where_link(page)
    assert 'value="12"' in page  # the typed value is kept beside the link


def test_the_link_opens_the_answer_with_its_drawings(client, renewal):
    faq_seed(now=timezone.now())
    pass_gate(client, renewal)
    page = client.get("/rendez-vous/identite/").content.decode()
    href = html.unescape(where_link(page)["href"]).split("#")[0]

    answer = client.get(href).content.decode()

    assert 'aria-expanded="true" aria-controls="reponse-ou-trouver-mon-numero' in answer
    assert answer.count("<figure") == 4
