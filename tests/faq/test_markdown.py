import pytest
from hypothesis import given
from hypothesis import strategies as st

from faq.markdown import render_markdown


def test_links_are_kept_with_safe_rel():
    html = render_markdown(
        "[ANEF](https://invite.contacts-demarches.interieur.gouv.fr/Etrangers)"
    )
    assert (
        '<a href="https://invite.contacts-demarches.interieur.gouv.fr/Etrangers"'
        ' rel="noopener noreferrer">ANEF</a>'
    ) in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "[clic](javascript:alert(1))",
        '<a href="javascript:alert(1)">clic</a>',
        '<img src=x onerror="alert(1)">',
        '<div onclick="alert(1)" class="x">z</div>',
        "<style>body{display:none}</style>",
        '<iframe src="https://example.org"></iframe>',
        "[clic](JaVaScRiPt:alert(1))",
        "[clic](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_hostile_markup_is_rendered_harmless(hostile):
    html = render_markdown(f"Avant {hostile} après")
    lowered = html.lower()
    for forbidden in ("<script", "javascript:", "onerror", "onclick", "<style",
                      "<iframe", "data:text", "<img"):  # fmt: skip
        assert forbidden not in lowered
    assert "Avant" in html and "après" in html


def test_admonition_becomes_a_dsfr_warning():
    html = render_markdown('Texte.\n\n!!! warning ""\n    Attention au numéro.')
    assert '<div class="fr-alert fr-alert--warning fr-alert--sm fr-my-2w">' in html
    assert "<p>Attention au numéro.</p>" in html


def test_other_classes_are_dropped():
    html = render_markdown('<div class="fr-alert evil">x</div>')
    assert "class=" not in html


def test_bold_and_lists_render():
    html = render_markdown("**Important**\n\n- un\n- deux")
    assert "<strong>Important</strong>" in html
    assert "<li>un</li>" in html


@given(st.text(max_size=300))
def test_any_text_renders_without_error_or_script(text):
    html = render_markdown(text)
    assert "<script" not in html.lower()
