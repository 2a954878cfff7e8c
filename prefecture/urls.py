from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from booking.views import managing, offers, waiting
from booking.views.api import api
from booking.views.webhooks import sms_receipt
from prefecture import views

# Public pages (and the links sent to applicants): French at /, English at /en/.
# The admin, the health check and the API keep one address whatever the language.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("sante/", views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("sms/recus/<str:secret>/", sms_receipt, name="sms_receipt"),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    # The short links the SMS carry, in the applicant's language: /rdv/<token>/ in
    # French, /en/rdv/<token>/ in English (booking.manage_links, waiting_links).
    path("rdv/<str:token>/", managing.short_link, name="booking_short_link"),
    path("la/<str:token>/", waiting.short_status, name="waiting_short_status"),
    path("o/<str:token>/", offers.short_offer, name="waiting_short_offer"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("faq/", include("faq.urls")),
    path("rendez-vous/", include("booking.urls")),
    prefix_default_language=False,
)

if settings.BENCH_VIEWS:  # the baselines of `make bench` (bench/views.py)
    urlpatterns += [path("bench/", include("bench.urls"))]
