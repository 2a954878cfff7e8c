import gc
import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.validators import EmailValidator
from django.core.wsgi import get_wsgi_application
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils import translation

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prefecture.settings")
logger = logging.getLogger(__name__)

application = get_wsgi_application()

# gunicorn --preload (README) imports this module once, in the master, and forks the
# workers from it: loading the URLconf here (every view, form and the admin's URLs)
# spares each worker that import at its first request, and a worker replaced after
# --max-requests, several times in a rush, starts warm (BENCHMARKS.md).
get_resolver().url_patterns  # noqa: B018 (loaded for its side effect)


def _warm() -> None:
    """What a worker's first requests did, done once in the master: every template
    of the project compiled (the cached loader keeps them), both languages'
    catalogs read, the e-mail validator's patterns compiled (30 ms of a worker's
    first confirm). A worker replaced after --max-requests then answers its first
    applicants nearly as fast as the others."""
    base: Path = settings.BASE_DIR
    for root in (
        base / "templates",
        base / "booking/templates",
        base / "faq/templates",
    ):
        for path in sorted(root.rglob("*.html")):
            try:
                get_template(str(path.relative_to(root)))
            except Exception:  # that page fails at its own request, as before
                logger.warning("template not loaded before the fork: %s", path.name)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Préfecture du Loiret")
    EmailValidator()("warm@example.org")


_warm()

# What is loaded now (Django, the apps, the URLconf) lives as long as the process:
# frozen, the garbage collector no longer walks it at each full collection, which a
# request's allocations trigger every few requests (and forked workers keep sharing
# those pages with the master instead of copying them as the collector touches
# them). The Python documentation recommends it for pre-fork servers.
gc.freeze()
