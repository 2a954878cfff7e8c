"""Agents write answers in Markdown; visitors get sanitised HTML in the DSFR look."""

from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code",
    "h3", "h4", "div", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "div": {"class"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}

# python-markdown's admonition (`!!! warning ""`) becomes a DSFR alert.
ADMONITION_CLASSES = {
    "admonition warning": "fr-alert fr-alert--warning fr-alert--sm fr-my-2w",
    "admonition info": "fr-alert fr-alert--info fr-alert--sm fr-my-2w",
    "admonition note": "fr-alert fr-alert--info fr-alert--sm fr-my-2w",
}


def _keep_dsfr_alert_classes(tag: str, attribute: str, value: str) -> str | None:
    if tag == "div" and attribute == "class":
        return ADMONITION_CLASSES.get(value)
    return value


@lru_cache(maxsize=1024)
def render_markdown(text: str) -> SafeString:
    """Markdown to HTML; scripts, styles, event handlers, javascript: links removed."""
    html = markdown.markdown(text, extensions=["admonition", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=_keep_dsfr_alert_classes,
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above
