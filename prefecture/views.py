"""Site-wide pages: home, accessibility statement, health check."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from prefecture import health as health_checks

logger = logging.getLogger(__name__)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "accessibility.html")


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """200 when every dependency answers, 503 otherwise (CONTRACT: /sante/)."""
    report = {
        "database": health_checks.check_database(connection),
        "broker": health_checks.check_broker(settings.REDIS_URL),
    }
    healthy = all(status in ("ok", "disabled") for status in report.values())
    return JsonResponse(report, status=200 if healthy else 503)
