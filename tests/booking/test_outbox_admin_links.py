import pytest
from django.utils import timezone

from booking.models import OutgoingMessage
from tests.factories import WaitingRequestFactory

pytestmark = pytest.mark.django_db


def test_the_outbox_page_shows_an_offer_sms_without_its_link_secret(admin_client):
    request = WaitingRequestFactory()
    token = "AbCdEfGhIjKlMnOpQrStUv"
    message = OutgoingMessage.objects.create(
        idempotency_key="waiting:1:offer:1",
        kind=OutgoingMessage.Kind.WAITING_OFFER,
        waiting_request=request,
        to="+33611111111",
        body=f"Préfecture du Loiret : RDV proposé. Répondre : http://x.fr/o/{token}/",
        send_after=timezone.now(),
    )
    page = admin_client.get(
        f"/admin/booking/outgoingmessage/{message.pk}/change/"
    ).content.decode()
    assert "Préfecture du Loiret : RDV proposé" in page
    assert token not in page
    assert "/o/…/" in page
