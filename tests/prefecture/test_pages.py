import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template.loader import get_template, render_to_string
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/faq/", "/accessibilite/", "/en/", "/en/faq/"])
def test_public_pages_use_the_dsfr_layout(client, url):
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<p class="fr-logo">République<br>Française</p>' in html
    assert "fr-header__service-title" in html and "Préfecture du Loiret" in html
    assert 'class="fr-skiplinks"' in html and 'href="#content"' in html
    assert '<main id="content"' in html
    assert 'class="fr-footer"' in html
    assert 'href="/static/dsfr/dist/dsfr/dsfr.min.css"' in html  # bundled, no CDN
    assert "cdn" not in html.lower()


def test_footer_links_to_the_accessibility_statement(client):
    html = client.get("/").content.decode()
    assert '<a class="fr-footer__bottom-link" href="/accessibilite/">' in html
    assert "Accessibilité : non conforme" in html


def test_accessibility_statement_says_non_compliant(client):
    html = client.get("/accessibilite/").content.decode()
    assert "<strong>non conforme</strong>" in html
    assert "Défenseur des droits" in html


def test_home_links_to_the_faq(client):
    html = client.get("/").content.decode()
    assert 'href="/faq/"' in html


def test_language_switch_links_to_the_same_page_in_the_other_language(client):
    french = client.get("/faq/").content.decode()
    english = client.get("/en/faq/").content.decode()
    assert 'hreflang="en" lang="en" href="/en/faq/"' in french
    assert 'hreflang="fr" lang="fr" href="/faq/"' in english


@pytest.mark.parametrize(
    "path", ["//evil.example/rendez-vous/", "///evil.example/", "//evil.example"]
)
def test_the_language_switch_never_links_to_another_host(client, path):
    """A request for "//host/…" (gunicorn passes it as it is) reaches the 404 page,
    whose language links must stay on this site."""
    page = client.get("/", PATH_INFO=path).content.decode()
    links = re.findall(r'class="fr-translate__language[^"]*"[^>]*href="([^"]*)"', page)
    assert links, page[:2000]
    assert all(link.startswith("/") and not link.startswith("//") for link in links)
    assert "evil.example" not in "".join(links)


def test_scripts_carry_the_csp_nonce(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_messages_are_shown_as_dsfr_alerts(client):
    request = RequestFactory().get("/")
    request.session = {}
    storage = FallbackStorage(request)
    storage.add(constants.ERROR, "Ce créneau vient d'être pris.")
    html = render_to_string("home.html", {"messages": storage}, request=request)
    assert 'class="fr-alert fr-alert--error fr-alert--sm fr-mb-2w" role="alert"' in html
    assert "Ce créneau vient d&#x27;être pris." in html


def test_server_error_page_is_self_contained():
    html = get_template("500.html").render()
    assert "Erreur inattendue" in html and "Unexpected error" in html


def test_home_links_to_booking(client):
    html = client.get("/").content.decode()
    assert 'href="/rendez-vous/"' in html
