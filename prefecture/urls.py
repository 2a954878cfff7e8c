from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from booking.views import managing, offers, waiting
from booking.views.api import api
from booking.views.webhooks import sms_receipt
from prefecture import views

# Public pages: French at /, English at /en/. The admin, the health check and the
# API keep one address whatever the language.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("sante/", views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("sms/recus/<str:secret>/", sms_receipt, name="sms_receipt"),
    path("rdv/<str:token>/", managing.short_link, name="booking_short_link"),
    path("la/<str:token>/", waiting.short_status, name="waiting_short_status"),
    path("o/<str:token>/", offers.short_offer, name="waiting_short_offer"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("faq/", include("faq.urls")),
    path("rendez-vous/", include("booking.urls")),
    prefix_default_language=False,
)

if settings.BENCH_VIEWS:  # the baselines of `make bench` (bench/views.py)
    urlpatterns += [path("bench/", include("bench.urls"))]
