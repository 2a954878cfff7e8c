"""The empty identity and contact forms are rendered once per process and language
(CACHES["fragments"]): every applicant still gets their own CSRF token, a new proof
of work and the page's language."""

import re

import pytest
from django.test import Client

from tests.booking.flow import IDENTITY, hold

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHALLENGE = re.compile(r'challengejson="([^"]+)"')


def csrf_token(page: str) -> str:
    return CSRF.search(page).group(1)


@pytest.mark.django_db
def test_each_applicant_posts_the_cached_identity_form_with_their_own_token(
    renewal, title
):
    tokens = []
    for _applicant in range(2):
        client = Client(enforce_csrf_checks=True)
        gate = client.get("/rendez-vous/").content.decode()
        client.post(
            "/rendez-vous/",
            {
                "csrfmiddlewaretoken": csrf_token(gate),
                "situation": "titre_sejour",
                "procedure": renewal.pk,
            },
        )
        page = client.get("/rendez-vous/identite/").content.decode()
        assert page.count("<form") == 1
        assert 'name="numero_etranger"' in page
        tokens.append(csrf_token(page))
        response = client.post(
            "/rendez-vous/identite/",
            {**IDENTITY, "csrfmiddlewaretoken": tokens[-1]},
        )
        assert response.status_code == 302
        assert response["Location"] == "/rendez-vous/creneaux/"
    assert tokens[0] != tokens[1]


@pytest.mark.django_db
def test_the_cached_forms_follow_the_page_language(client, renewal, title):
    client.post("/rendez-vous/", {"situation": "titre_sejour", "procedure": renewal.pk})
    french = client.get("/rendez-vous/identite/").content.decode()
    english = client.get("/en/rendez-vous/identite/").content.decode()
    label = '{}<span class="fr-required-marker"'
    assert label.format("Numéro étranger") in french
    assert label.format("Foreign national number (numéro étranger)") in english
    assert label.format("Numéro étranger") not in english


@pytest.mark.django_db
def test_the_contact_form_gets_a_new_proof_of_work_at_each_display(
    client, settings, renewal, slot, title
):
    settings.ANTIBOT = True
    hold(client, renewal, slot)
    first = client.get("/rendez-vous/coordonnees/").content.decode()
    second = client.get("/rendez-vous/coordonnees/").content.decode()
    assert 'name="last_name"' in second
    assert 'name="website"' in second
    assert CHALLENGE.search(first).group(1) != CHALLENGE.search(second).group(1)
