"""The appointment as an iCalendar file, for the applicant's own calendar."""

from datetime import UTC, datetime

import icalendar
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from booking.manage_links import manage_url
from booking.models import Booking


def booking_ics(booking: Booking, *, now: datetime | None = None) -> bytes:
    """The appointment's event, in the booking's language, with the link to manage
    it (/en/... in English)."""
    with translation.override(booking.language):
        return _booking_ics(booking, now=now)


def _booking_ics(booking: Booking, *, now: datetime | None) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Prefecture du Loiret//Rendez-vous//FR")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    # One event per appointment: a move keeps the UID and raises the sequence, so a
    # calendar that imports the new file updates the event.
    event.add("uid", f"{booking.reference}@rendez-vous.loiret.gouv.fr")
    event.add("sequence", booking.move_count)
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", booking.slot.starts_at)
    event.add("dtend", booking.slot.ends_at)
    event.add(
        "summary",
        _("Rendez-vous en préfecture : %(procedure)s")
        % {"procedure": booking.procedure.name},
    )
    event.add("location", f"{booking.slot.site.name}, {booking.slot.site.address}")
    link = manage_url(booking)
    event.add(
        "description",
        _("Référence : %(reference)s") % {"reference": booking.reference}
        + "\n"
        + _("Gérer mon rendez-vous : %(url)s") % {"url": link},
    )
    event.add("url", link)
    calendar.add_component(event)
    return calendar.to_ical()


def ics_response(booking: Booking) -> HttpResponse:
    response = HttpResponse(booking_ics(booking), content_type="text/calendar")
    response["Content-Disposition"] = (
        f'attachment; filename="rendez-vous-{booking.reference}.ics"'
    )
    return response
