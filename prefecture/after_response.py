"""Work nobody waits for, run once the response is sent: the Celery publishes that
follow a commit (a confirm's SMS and e-mail). The rows are committed before; the
publish only wakes the worker sooner than the sweeper would. In a rush, the publish
was a fifth of the confirm's time inside its request (BENCHMARKS.md); after the
response, the applicant's browser reads the page while the worker publishes (the
worker's work is the same: a sync worker then waits for the client to close the
connection, a wait the publish may have spanned).

The work runs when the WSGI server closes the response (after its last byte is
written; the test client closes it too), in the same process and thread. Outside a
request (a Celery task, a command, a test calling a service), it runs at once."""

import logging
from collections.abc import Callable
from contextvars import ContextVar

logger = logging.getLogger(__name__)

_pending: ContextVar[list[Callable[[], object]] | None] = ContextVar(
    "after_response", default=None
)


def after_response(work: Callable[[], object]) -> None:
    """Runs ``work()`` once the current response is sent, or now outside a request.
    ``work`` must not raise (an exception is logged, and the rest still runs)."""
    pending = _pending.get()
    if pending is None:
        work()
    else:
        pending.append(work)


def _run(pending: list[Callable[[], object]]) -> None:
    while pending:
        work = pending.pop(0)
        try:
            work()
        except Exception:  # the response is sent: nobody else would see it
            logger.exception("work after the response failed: %r", work)


class AfterResponseMiddleware:
    """Collects the request's after_response work and hands it to the response's
    closing (Django runs its resource closers when the server closes it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pending: list[Callable[[], object]] = []
        token = _pending.set(pending)
        try:
            response = self.get_response(request)
        except BaseException:
            _pending.reset(token)
            _run(pending)  # committed work is not lost with the response
            raise
        _pending.reset(token)
        # Django's own hook for what a response holds open (FileResponse's file);
        # the closers run before request_finished closes the database connection.
        response._resource_closers.append(lambda: _run(pending))
        return response
