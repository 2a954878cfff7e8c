import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prefecture.settings")

application = get_wsgi_application()

# gunicorn --preload (README) imports this module once, in the master, and forks the
# workers from it: loading the URLconf here (every view, form and the admin's URLs)
# spares each worker that import at its first request, and a worker replaced after
# --max-requests, several times in a rush, starts warm (BENCHMARKS.md).
get_resolver().url_patterns  # noqa: B018 (loaded for its side effect)

# What is loaded now (Django, the apps, the URLconf) lives as long as the process:
# frozen, the garbage collector no longer walks it at each full collection, which a
# request's allocations trigger every few requests (and forked workers keep sharing
# those pages with the master instead of copying them as the collector touches
# them). The Python documentation recommends it for pre-fork servers.
gc.freeze()
