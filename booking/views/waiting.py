"""The waiting list's public pages: joining (from the slot step), the status page
(behind the same second factor as the manage link), and an offer's page (accept or
decline). Thin: a form validates, one service acts, its error becomes a message."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from booking.errors import TooManyAttempts
from booking.services.identity import offer_link_lookup, waiting_link_lookup
from booking.views.managing import _link_refused
from booking.waiting_links import offer_path, status_path
from booking.web.network import client_ip


@require_safe
def short_status(request: HttpRequest, token: str) -> HttpResponse:
    """/la/<token>/, sent by SMS: on to the status page."""
    try:
        found = waiting_link_lookup(token=token, client_ip=client_ip(request))
    except TooManyAttempts as refused:
        return _link_refused(request, refused.wait_seconds)
    if found is None:
        return _link_refused(request)
    return redirect(status_path(found))


@require_safe
def short_offer(request: HttpRequest, token: str) -> HttpResponse:
    """/o/<token>/, sent by SMS: on to the offer's page."""
    try:
        found = offer_link_lookup(token=token, client_ip=client_ip(request))
    except TooManyAttempts as refused:
        return _link_refused(request, refused.wait_seconds)
    if found is None:
        return _link_refused(request)
    return redirect(offer_path(found))


@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404  # TODO(issue 14): the status page


@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404  # TODO(issue 14): the offer page
