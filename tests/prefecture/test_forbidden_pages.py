"""A form refused by the CSRF check (a page left open for long, cookies blocked)
says so in the applicant's language, in the site's look, not Django's English
"Forbidden (403) CSRF verification failed" (found by the applicant's walk)."""

import pytest
from django.test import Client


@pytest.mark.parametrize(
    "path, words",
    [
        ("/rendez-vous/", "Formulaire expiré"),
        ("/en/rendez-vous/", "Form expired"),
    ],
)
def test_a_refused_form_says_what_to_do_in_the_pages_language(path, words, settings):
    settings.DEBUG = False
    response = Client(enforce_csrf_checks=True).post(path, {"situation": "x"})
    page = response.content.decode()
    assert response.status_code == 403
    assert words in page and "dsfr" in page
    assert "CSRF verification failed" not in page
