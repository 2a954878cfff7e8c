from django import template
from django.urls import translate_url
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from prefecture.models import Bilingual

register = template.Library()


@register.simple_tag(takes_context=True)
def language_url(context, language: str) -> str:
    """The current page's address in ``language`` (``/faq/`` <-> ``/en/faq/``)."""
    request = context.get("request")
    if request is None:
        return "/" if language == "fr" else f"/{language}/"
    url = translate_url(request.get_full_path(), language)
    return url


@register.filter
def lang_attr(item: Bilingual, name: str) -> SafeString:
    """` lang="fr"` on an element whose text is shown in French on an English page
    (not translated yet), so that screen readers read it in French; nothing
    otherwise. ``{{ question|lang_attr:"question" }}``"""
    shown = item.shown_language(name)
    if shown == (get_language() or "fr")[:2]:
        return SafeString("")
    return format_html(' lang="{}"', shown)
