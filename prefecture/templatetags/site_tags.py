import functools

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import translate_url
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from prefecture.models import Bilingual

register = template.Library()


@register.simple_tag(takes_context=True)
def language_url(context, language: str) -> str:
    """The current page's address in ``language`` (``/faq/`` <-> ``/en/faq/``),
    always a path on this site."""
    home = "/" if language == "fr" else f"/{language}/"
    request = context.get("request")
    if request is None:
        return home
    url = _translated(request.get_full_path(), language)
    # A path that starts with "//" (a request for "//evil.example/…" reaches the 404
    # page) reads as another host's address: never link there.
    return url if url.startswith("/") and not url.startswith("//") else home


@functools.lru_cache(maxsize=256)
def _translated(path: str, language: str) -> str:
    # The same for every request to a page: resolving and reversing it at each one
    # was a fifth of the home page's rendering (BENCHMARKS-rush-profile.txt). Bounded:
    # query strings are the visitor's to choose.
    return translate_url(path, language)


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    if setting in ("ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE"):  # tests change them
        _translated.cache_clear()


@register.inclusion_tag("includes/error_summary.html")
def error_summary(form) -> dict:
    """The DSFR error summary of a bound form: its errors not tied to a field, then
    each field's errors linked to that field's input (the first choice of a group).
    The form is marked, so that its own rendering (crispy_dsfr/errors.html) does not
    repeat the errors not tied to a field: base.html renders this tag first."""
    form.error_summary_shown = True
    items: list[tuple[str, str]] = [
        ("", str(error)) for error in form.non_field_errors()
    ]
    for field in form:
        if field.is_hidden or not field.errors:
            continue
        anchor = field.id_for_label or (f"{field.auto_id}_0" if field.auto_id else "")
        items.extend((anchor, str(error)) for error in field.errors)
    return {"items": items, "count": len(items)}


@register.filter
def lang_attr(item: Bilingual, name: str) -> SafeString:
    """` lang="fr"` on an element whose text is shown in French on an English page
    (not translated yet), so that screen readers read it in French; nothing
    otherwise. ``{{ question|lang_attr:"question" }}``"""
    shown = item.shown_language(name)
    if shown == (get_language() or "fr")[:2]:
        return SafeString("")
    return format_html(' lang="{}"', shown)
