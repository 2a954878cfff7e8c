import json
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from prefecture.two_factor import is_verified_agent


class AgentIdleTimeoutMiddleware:
    """An agent's session ends after AGENT_IDLE_MINUTES without a request: each request
    pushes the expiry forward (a sliding window kept in the session store, so every web
    process applies it). Between the password and the code, the session ends at most
    AGENT_SECOND_FACTOR_MINUTES after the password, however many requests come.
    Applicants' sessions keep the default age."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            if is_verified_agent(request):
                request.session.set_expiry(settings.AGENT_IDLE_MINUTES * 60)
            else:
                deadline = timezone.now() + timedelta(
                    minutes=settings.AGENT_SECOND_FACTOR_MINUTES
                )
                if request.session.get_expiry_date() > deadline:
                    request.session.set_expiry(deadline)
        return self.get_response(request)


class AdminLanguageMiddleware:
    """The admin lives outside i18n_patterns, where LocaleMiddleware always picks the
    default language (French). There, the language an agent chose with the switch
    (the language cookie) applies; French stays the default."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if request.path_info.startswith("/admin/") and chosen in dict(
            settings.LANGUAGES
        ):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


# Control characters (Unicode category Cc: C0, DEL, C1). A path or a cookie never
# holds one; a value may hold a tab or a line break (a textarea), nothing else.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_JSON_TYPES = ("application/json",)
logger = logging.getLogger(__name__)


def _strings(document: Any) -> Iterator[str]:
    """Every string of a decoded JSON document, keys included (without recursion:
    the parser accepts nestings deeper than Python's stack)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


class ControlCharactersMiddleware:
    """Refuses with a 400 any request carrying a control character where no person
    types one: the path, the query string, the cookies this site reads, the fields of
    a form (not the contents of an uploaded file: each import checks its cells) and
    the strings of a JSON body. Tab, CR and LF pass in values (a textarea sends them).

    PostgreSQL refuses NUL in text, so one reaching a query was a 500; refusing it at
    the edge gives one clear answer instead of a guard in every view and admin list.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        part = self._offending_part(request)
        if part is None:
            return self.get_response(request)
        # The part only: the value may be personal data or the webhook's secret.
        logger.info("control character refused in the %s", part)
        if request.content_type in _JSON_TYPES or request.path_info.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Caractère de contrôle non autorisé.")}, status=400
            )
        return HttpResponseBadRequest(render_to_string("400.html"))

    def _offending_part(self, request: HttpRequest) -> str | None:
        if _CONTROL.search(request.path_info):
            return "path"
        if _has_control(request.GET.lists()):
            return "query string"
        cookies = (
            settings.SESSION_COOKIE_NAME,
            settings.CSRF_COOKIE_NAME,
            settings.LANGUAGE_COOKIE_NAME,
        )
        if any(_CONTROL.search(request.COOKIES.get(name, "")) for name in cookies):
            return "cookies"
        if request.method != "POST":
            return None
        if request.content_type in _JSON_TYPES:
            try:
                document = json.loads(request.body)
            except (ValueError, RecursionError):  # not JSON: the view answers that
                return None
            if any(_CONTROL_IN_TEXT.search(text) for text in _strings(document)):
                return "JSON body"
            return None
        # Upload names: Django's multipart parser drops their non-printables.
        if _has_control(request.POST.lists()):
            return "form"
        return None


def _has_control(fields: Iterable[tuple[str, list[str]]]) -> bool:
    return any(
        _CONTROL.search(name) or any(_CONTROL_IN_TEXT.search(v) for v in values)
        for name, values in fields
    )
