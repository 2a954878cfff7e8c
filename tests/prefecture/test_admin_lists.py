"""Every list page of the admin costs a fixed, pinned number of queries, whatever the
number of rows (no N+1 query from a column that follows a foreign key)."""

from datetime import date, time, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from dsfr.models import DsfrConfig

from booking.models import ClosureDay, OpeningSchedule, OutgoingMessage
from prefecture.two_factor import totp_enrolment_issue
from tests import factories

pytestmark = pytest.mark.django_db

_now = timezone.now


def _user(i: int) -> User:
    return User.objects.create_user(f"user-{i}")


def _attempt(model, i: int, **extra):
    return model.objects.create(
        username=f"user-{i}",
        ip_address="10.0.0.1",
        user_agent="test",
        path_info="/",
        **extra,
    )


MAKERS = {
    "auth.Group": lambda i: Group.objects.create(name=f"groupe-{i}"),
    "auth.User": _user,
    "dsfr.DsfrConfig": lambda i: DsfrConfig.objects.create(
        language=["fr", "en"][i % 2]
    ),
    "otp_totp.TOTPDevice": lambda i: TOTPDevice.objects.create(
        user=_user(i), name="app"
    ),
    "prefecture.TotpEnrolmentGrant": lambda i: totp_enrolment_issue(
        user=User.objects.create_user(f"agent-{i}", is_staff=True), by=None, now=_now()
    ),
    "axes.AccessAttempt": lambda i: _attempt(
        AccessAttempt,
        i,
        get_data="",
        post_data="",
        http_accept="",
        failures_since_start=1,
    ),
    "axes.AccessLog": lambda i: _attempt(AccessLog, i, http_accept=""),
    "axes.AccessFailureLog": lambda i: _attempt(AccessFailureLog, i, http_accept=""),
    "faq.Category": lambda i: factories.CategoryFactory(),
    "faq.Question": lambda i: factories.QuestionFactory(),
    "faq.Announcement": lambda i: factories.AnnouncementFactory(),
    "booking.Site": lambda i: factories.SiteFactory(),
    "booking.Procedure": lambda i: factories.ProcedureFactory(
        booking_procedure=factories.ProcedureFactory()
    ),
    "booking.Slot": lambda i: factories.SlotFactory(),
    "booking.TitleRecord": lambda i: factories.TitleRecordFactory(),
    "booking.Booking": lambda i: factories.BookingFactory(),
    "booking.Card": lambda i: factories.CardFactory(),
    "booking.OpeningSchedule": lambda i: OpeningSchedule.objects.create(
        site=factories.SiteFactory(),
        procedure=factories.ProcedureFactory(),
        weekday=i % 5,
        starts=time(9),
        ends=time(12),
        valid_from=date(2027, 1, 1),
    ),
    "booking.ClosureDay": lambda i: ClosureDay.objects.create(
        site=factories.SiteFactory(), day=date(2027, 1, 4) + timedelta(days=i)
    ),
    "booking.OutgoingMessage": lambda i: OutgoingMessage.objects.create(
        idempotency_key=f"test:{i}",
        kind=OutgoingMessage.Kind.CARD_READY,
        card=factories.CardFactory(),
        to="+33612345678",
        body="Votre titre est disponible.",
        send_after=_now(),
    ),
    "booking.WaitingRequest": lambda i: factories.WaitingRequestFactory(
        sites=[factories.SiteFactory(), factories.SiteFactory()]
    ),
}

# Queries per list page (session, user, permissions, count, rows, ...): pinned so a
# change that adds one shows up here.
PINNED = {
    "auth.Group": 9,
    "auth.User": 10,
    "dsfr.DsfrConfig": 9,
    "otp_totp.TOTPDevice": 9,
    "prefecture.TotpEnrolmentGrant": 9,
    "axes.AccessAttempt": 12,
    "axes.AccessLog": 12,
    "axes.AccessFailureLog": 12,
    "faq.Category": 9,
    "faq.Question": 10,
    "faq.Announcement": 11,
    "booking.Site": 9,
    "booking.Procedure": 9,
    "booking.Slot": 13,
    "booking.TitleRecord": 9,
    "booking.Booking": 13,
    "booking.Card": 10,
    "booking.OpeningSchedule": 11,
    "booking.ClosureDay": 12,
    "booking.OutgoingMessage": 11,
    "booking.WaitingRequest": 14,
}


def test_every_admin_list_page_is_pinned():
    registered = {model._meta.label for model in admin.site._registry}
    assert registered == set(MAKERS) == set(PINNED)


@pytest.mark.parametrize("label", sorted(PINNED))
def test_list_page_costs_a_fixed_number_of_queries(admin_client, label):
    app_label, model_name = label.lower().split(".")
    url = f"/admin/{app_label}/{model_name}/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    make = MAKERS[label]
    make(0)
    few = queries()
    for i in range(1, 2 if label == "dsfr.DsfrConfig" else 12):
        make(i)
    assert queries() == few
    assert few == PINNED[label], f"{label}: {few} queries"
