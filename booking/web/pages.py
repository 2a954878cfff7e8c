"""What an applicant's page answers, and that none is kept.

Every page of the applicant's own (the booking flow, the manage and waiting-list
links) is never kept by a browser or a proxy: the next person at a shared computer
must not find it with the back button. Each answers HEAD as it answers GET (the link
previews of SMS apps and uptime probes send HEAD)."""

from collections.abc import Callable

from django.http import HttpResponseBase
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe


def form_page[V: Callable[..., HttpResponseBase]](view: V) -> V:
    """A page with a form: GET and HEAD show it, POST sends it."""
    return never_cache(require_http_methods(["GET", "HEAD", "POST"])(view))


def read_page[V: Callable[..., HttpResponseBase]](view: V) -> V:
    """A page only read (or a redirect): GET and HEAD."""
    return never_cache(require_safe(view))
