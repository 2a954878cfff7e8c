"""Agents read a message's last error in words; the technical text stays on its
page for the IT (left alone last stop: the outbox spoke the provider's English)."""

import pytest
from django.utils import timezone

from booking import services
from booking.admin.outbox import error_words
from booking.models import OutgoingMessage
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "technical, words",
    [
        ("not sent: region GB outside SMS_ALLOWED_REGIONS",
         "Non envoyé : numéro d’un pays (GB) où nous n’envoyons pas de SMS"),
        ("not sent: 6 SMS to this number today (SMS_PER_MOBILE_PER_DAY)",
         "Non envoyé : déjà 6 SMS vers ce numéro aujourd’hui (plafond)"),
        ("not sent: 4 SMS for this booking today (SMS_PER_BOOKING_PER_DAY)",
         "Non envoyé : déjà 4 SMS pour ce rendez-vous aujourd’hui (plafond)"),
        ("not sent: the offer is no longer open",
         "Non envoyé : la place proposée n’est plus à prendre"),
        ("receipt: hard_bounce",
         "Non reçu : numéro inexistant ou hors service, selon l’opérateur"),
        ("receipt: softbounce", "Non reçu : téléphone éteint ou injoignable trop longtemps"),
        ("receipt: rejected", "Non reçu : refusé par l’opérateur"),
        ("abandoned after 7 attempts: HTTP 503",
         "Abandonné après 7 essais : le fournisseur ne répondait pas"),
        ("HTTP 400 invalid_parameter: Invalid recipient",
         "Refusé par le fournisseur d’envoi : invalid_parameter: Invalid recipient"),
        ("HTTP 401", "Refusé par le fournisseur d’envoi"),
        ("HTTP 503", "Le fournisseur ne répond pas : nouvel essai prévu"),
        ("ConnectTimeout", "Le fournisseur ne répond pas : nouvel essai prévu"),
        ("recipient refused (SMTP 550)",
         "Adresse électronique refusée par le serveur du destinataire"),
        ("something new", "something new"),
        ("", "—"),
    ],
)  # fmt: skip
def test_each_known_error_reads_in_words(technical, words):
    assert error_words(technical) == words


def test_the_outbox_list_shows_the_words_and_its_page_the_technical_text(
    admin_client,
):
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="a", now=timezone.now())
    message = OutgoingMessage.objects.get()
    OutgoingMessage.objects.filter(pk=message.pk).update(
        status="undelivered", last_error="receipt: hard_bounce"
    )
    listed = admin_client.get("/admin/booking/outgoingmessage/").content.decode()
    assert "numéro inexistant ou hors service" in listed
    assert "receipt: hard_bounce" not in listed
    page = admin_client.get(
        f"/admin/booking/outgoingmessage/{message.pk}/change/"
    ).content.decode()
    assert (
        "numéro inexistant ou hors service" in page and "receipt: hard_bounce" in page
    )
    card_page = admin_client.get(f"/admin/booking/card/{card.pk}/change/")
    assert "numéro inexistant ou hors service" in card_page.content.decode()
