"""The supervisors' statistics page (served under the appointments' admin URLs)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.statistics import CHART_HEIGHT, statistics_for, statistics_period


def statistics_view(
    model_admin: admin.ModelAdmin, request: HttpRequest
) -> HttpResponse:
    """Supervisors' figures: appointments per day and démarche, no-show rate, next
    free slot, SMS outcomes, cards waiting; charts in SVG with the same numbers as
    tables (read by screen readers)."""
    if not request.user.has_perm("booking.view_statistics"):
        raise PermissionDenied
    now = timezone.now()
    first_day, last_day = statistics_period(request.GET, today=timezone.localdate(now))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Statistiques"),
        "stats": statistics_for(first_day=first_day, last_day=last_day, now=now),
        "chart_height": CHART_HEIGHT,
    }
    return TemplateResponse(request, "admin/booking/booking/statistics.html", context)
