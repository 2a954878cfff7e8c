import pytest

from booking.services import notices as notifications
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def test_confirmation_email_is_sent_once_even_if_the_task_runs_twice(mailoutbox):
    booking = BookingFactory(email="awa@example.org", language="en")
    notifications.booking_confirmed(booking_id=booking.pk)
    notifications.booking_confirmed(booking_id=booking.pk)
    assert len(mailoutbox) == 1
    assert booking.reference in mailoutbox[0].subject
    assert (
        "Your appointment" in mailoutbox[0].body or "appointment" in mailoutbox[0].body
    )


def test_no_email_address_no_email(mailoutbox):
    booking = BookingFactory(email="")
    notifications.booking_confirmed(booking_id=booking.pk)
    assert mailoutbox == []


def test_a_failed_send_is_released_for_the_retry(mailoutbox, settings):
    booking = BookingFactory(email="awa@example.org")
    settings.MAILERS = {"default": {"BACKEND": "tests.booking.failing_mail.Backend"}}
    with pytest.raises(OSError):
        notifications.booking_confirmed(booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.confirmation_email_sent_at is None
