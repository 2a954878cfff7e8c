"""The supervisors' statistics page (served under the appointments' admin URLs)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.admin.base import AgentPagesMixin
from booking.statistics import (
    CHART_HEIGHT,
    period_adjusted,
    statistics_for,
    statistics_period,
)


class StatisticsPageMixin(AgentPagesMixin):
    """The statistics page, for the ModelAdmin that serves it."""

    def has_statistics_permission(self, request: HttpRequest) -> bool:
        return self.has_model_permission(request, "view_statistics")

    def statistics_view(self, request: HttpRequest) -> HttpResponse:
        """Supervisors' figures: appointments per day and démarche, no-show rate,
        next free slot, SMS outcomes, cards waiting, the waiting list (people
        waiting, median wait, offers accepted, places lost); charts in SVG with the
        same numbers as tables (read by screen readers)."""
        if not self.has_statistics_permission(request):
            raise PermissionDenied
        now = timezone.now()
        first_day, last_day = statistics_period(
            request.GET, today=timezone.localdate(now)
        )
        if period_adjusted(request.GET, (first_day, last_day)):
            # The page draws at most three months, in order: said, not silent.
            messages.warning(
                request,
                _(
                    "La période demandée a été ajustée (trois mois au plus, dates "
                    "dans l’ordre, à moins de cinq ans d’aujourd’hui) : du "
                    "%(first)s au %(last)s. Pour une année, affichez-la trimestre "
                    "par trimestre."
                )
                % {
                    "first": first_day.strftime("%d/%m/%Y"),
                    "last": last_day.strftime("%d/%m/%Y"),
                },
            )
        context = self.page_context(
            request,
            title=_("Statistiques"),
            stats=statistics_for(first_day=first_day, last_day=last_day, now=now),
            chart_height=CHART_HEIGHT,
        )
        return TemplateResponse(
            request, "admin/booking/booking/statistics.html", context
        )
