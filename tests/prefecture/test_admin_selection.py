"""A change list's action names its rows by the checkboxes' integer keys; a forged
value (a word, "²", a number too big for the column) is refused on the list with a
message, on every list of the admin, instead of a 500 from the database."""

import pytest

from booking.models import Card, OutgoingMessage
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("forged", ["abc", "²", "1 OR 1=1", "9" * 30])
@pytest.mark.parametrize(
    "url, action",
    [
        ("/admin/booking/card/", "mark_ready"),
        ("/admin/booking/booking/", "cancel_bookings"),
        ("/admin/auth/user/", "delete_selected"),
    ],
)
def test_a_forged_row_key_is_refused_with_a_message(admin_client, url, action, forged):
    card = CardFactory()
    response = admin_client.post(
        url, {"action": action, "_selected_action": [str(card.pk), forged]}
    )
    assert response.status_code == 302 and response["Location"] == url
    page = admin_client.get(url).content.decode()
    assert "Sélection invalide : cochez les lignes dans la liste." in page
    card.refresh_from_db()
    assert card.status == Card.Status.IN_PRODUCTION
    assert not OutgoingMessage.objects.exists()


def test_true_row_keys_still_reach_the_action(admin_client):
    card = CardFactory()
    response = admin_client.post(
        "/admin/booking/card/", {"action": "mark_ready", "_selected_action": [card.pk]}
    )
    assert "Marquer ces titres disponibles ?" in response.content.decode()
