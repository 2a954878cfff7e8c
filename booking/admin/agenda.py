"""The day agenda's pieces: what each row lets the agent do (and why not), and the
cancellation's confirmation form."""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from booking.admin.forms import TextareaField
from booking.models import Booking
from booking.services.bookings import (
    cancel_message_length,
    cancel_message_room,
    cancel_refusal,
    check_in_refusal,
    check_in_undo_refusal,
)

# The agenda's own filters: the only parameters a "back" link keeps.
AGENDA_FILTERS = ("day", "site", "q")


@dataclass(frozen=True)
class AgendaRow:
    """One appointment of the agenda and its actions: a refusal ("" when allowed)
    for present, absent and the cancellation, and whether the day's entry can be
    undone."""

    booking: Booking
    active: bool
    present_refusal: str = ""
    absent_refusal: str = ""
    undo_refusal: str = ""
    cancel_refusal: str = ""
    checked_in: bool = False


def agenda_row(booking: Booking, *, now: datetime) -> AgendaRow:
    active = booking.status == Booking.Status.CONFIRMED
    checked_in = booking.status in (Booking.Status.HONOURED, Booking.Status.NO_SHOW)
    return AgendaRow(
        booking=booking,
        active=active,
        present_refusal=check_in_refusal(booking, present=True, now=now)
        if active
        else "",
        absent_refusal=check_in_refusal(booking, present=False, now=now)
        if active
        else "",
        undo_refusal=check_in_undo_refusal(booking, now=now) if checked_in else "",
        cancel_refusal=cancel_refusal(booking, now=now) if active else "",
        checked_in=checked_in,
    )


def booking_for_agenda(*, booking_id: int) -> Booking | None:
    return (
        Booking.objects.select_related("slot__site", "procedure")
        .filter(pk=booking_id)
        .first()
    )


def agenda_back(request: HttpRequest) -> tuple[str, str]:
    """The agenda's filters it was left with (``back``, re-encoded: only the
    agenda's own parameters, never another address), and the agenda's address
    with them."""
    given = QueryDict(request.POST.get("back") or request.GET.get("back") or "")
    kept = QueryDict(mutable=True)
    for name in AGENDA_FILTERS:
        value = given.get(name, "").replace("\x00", "")[:80]
        if value:
            kept[name] = value
    query = kept.urlencode()
    url = reverse("admin:booking_booking_agenda")
    return query, f"{url}?{query}" if query else url


class AgendaCancelForm(forms.Form):
    """The agent's optional message, added to the cancellation SMS; refused when
    it would not fit the SMS's one segment (never cut, never a second SMS)."""

    message = TextareaField(
        label=_("Message à l’usager (facultatif)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
    )

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.room = cancel_message_room(booking)
        field = self.fields["message"]
        field.widget.attrs["maxlength"] = str(self.room)
        field.help_text = _(
            "Ajouté à la fin du SMS d’annulation, qui reste un seul SMS : "
            "%(room)d caractères au plus (ç, â, ê… y deviennent c, a, e)."
        ) % {"room": self.room}

    def clean_message(self) -> str:
        message = self.cleaned_data["message"]
        length = cancel_message_length(message)
        if length > self.room:
            raise forms.ValidationError(
                _(
                    "Message trop long pour tenir dans le SMS : %(room)d caractères "
                    "au plus (%(length)d saisis)."
                )
                % {"room": self.room, "length": length}
            )
        return message
