"""DSFR forms rendered by one template engine per process."""

from dsfr.forms import DsfrBaseForm, DsfrDjangoTemplates

# django-dsfr hands each form a new DsfrDjangoTemplates, hence a new template engine
# that finds the template tags and parses every widget template again: about 15 %
# of a booking page's CPU under load (BENCHMARKS.md). One shared instance keeps its
# engine, whose cached loader parses each template once (DEBUG off).
_RENDERER = DsfrDjangoTemplates()


class DsfrForm(DsfrBaseForm):
    default_renderer = _RENDERER  # type: ignore[assignment]
