from django import template
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def language_url(context, language: str) -> str:
    """The current page's address in ``language`` (``/faq/`` <-> ``/en/faq/``)."""
    request = context.get("request")
    if request is None:
        return "/" if language == "fr" else f"/{language}/"
    url = translate_url(request.get_full_path(), language)
    return url
