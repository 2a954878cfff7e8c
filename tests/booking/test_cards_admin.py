from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import services
from booking.admin.confirm import selection_key
from booking.models import Card, OutgoingMessage
from booking.services.outbox import first_sending_time
from tests.clock import PARIS
from tests.factories import CardFactory, SiteFactory

pytestmark = pytest.mark.django_db

INLINES = {
    f"{prefix}-{field}": 0
    for prefix in ("messages", "events")
    for field in ("TOTAL_FORMS", "INITIAL_FORMS")
}


def test_agent_marks_cards_ready_in_one_action_and_sees_the_messages(admin_client):
    cards = CardFactory.create_batch(3)
    pks = [c.pk for c in cards]
    response = admin_client.post(
        "/admin/booking/card/",
        {
            "action": "mark_ready",
            "_selected_action": pks,
            "post": "yes",  # as the confirmation page sends it
            "selection": selection_key(pks),
        },
        follow=True,
    )
    assert "3 titres marqués disponibles" in response.content.decode()
    assert Card.objects.filter(status="disponible").count() == 3
    assert OutgoingMessage.objects.count() == 3
    page = admin_client.get("/admin/booking/outgoingmessage/").content.decode()
    assert "+33" in page and "+33612345678" not in page  # numbers masked


def test_marking_ready_twice_warns_and_sends_nothing(admin_client):
    card = CardFactory()
    for _ in range(2):
        response = admin_client.post(
            "/admin/booking/card/",
            {
                "action": "mark_ready",
                "_selected_action": [card.pk],
                "post": "yes",
                "selection": selection_key([card.pk]),
            },
            follow=True,
        )
    assert "Aucun titre en production parmi ceux choisis" in response.content.decode()
    assert OutgoingMessage.objects.count() == 1


def test_retry_now_requeues_failed_messages_only(admin_client):
    cards = CardFactory.create_batch(6)
    services.card_mark_ready(card_ids=[c.pk for c in cards], by="a", now=timezone.now())
    ids = list(OutgoingMessage.objects.order_by("pk").values_list("pk", flat=True))
    statuses = ["failed", "undelivered", "pending", "sending", "sent", "delivered"]
    for n, (pk, status) in enumerate(zip(ids, statuses, strict=True)):
        OutgoingMessage.objects.filter(pk=pk).update(
            status=status,
            attempts=n + 1,
            send_after=datetime(2026, 11, 26, 10, n, tzinfo=PARIS),
        )
    before = {
        m.pk: (m.status, m.send_after, m.attempts)
        for m in OutgoingMessage.objects.all()
    }
    earliest = first_sending_time(timezone.now())
    response = admin_client.post(
        "/admin/booking/outgoingmessage/",
        {"action": "retry_now", "_selected_action": ids},  # every status selected
        follow=True,
    )
    latest = first_sending_time(timezone.now())
    assert "2 messages remis en file." in response.content.decode()
    after = {
        m.pk: (m.status, m.send_after, m.attempts)
        for m in OutgoingMessage.objects.all()
    }
    for pk in ids[:2]:  # failed and undelivered: queued again, from now on
        status, send_after, attempts = after[pk]
        assert status == "pending" and attempts == before[pk][2]
        assert earliest <= send_after <= latest
    # pending, sending, sent and delivered are left exactly as they were
    assert {pk: after[pk] for pk in ids[2:]} == {pk: before[pk] for pk in ids[2:]}


@pytest.mark.parametrize(
    ("mobile", "expected"),
    [("0690 12 34 56", "+590690123456"), ("+44 7911 123456", "+447911123456")],
)
def test_card_form_stores_mobiles_in_e164(admin_client, mobile, expected):
    site = SiteFactory()
    admin_client.post(
        "/admin/booking/card/add/",
        {"numero_etranger": "208 006 503", "mobile": mobile, "language": "fr",
         "site": site.pk, "last_name": "D", "first_name": "A", **INLINES},
    )  # fmt: skip
    card = Card.objects.get()
    assert (card.numero_etranger, card.mobile) == ("2008006503", expected)


def test_card_form_refuses_a_landline_with_a_clear_message(admin_client):
    response = admin_client.post(
        "/admin/booking/card/add/",
        {"numero_etranger": "2008006503", "mobile": "01 23 45 67 89", "language": "fr",
         "site": SiteFactory().pk, **INLINES},
    )  # fmt: skip
    assert "ne peut pas recevoir de SMS" in response.content.decode()
    assert not Card.objects.exists()


def test_card_added_in_the_admin_has_its_created_event_by_the_agent(
    admin_client, admin_user
):
    from booking.models import CardEvent
    from tests.factories import SiteFactory

    response = admin_client.post(
        "/admin/booking/card/add/",
        {"numero_etranger": "208 006 503", "mobile": "06 12 34 56 78",
         "language": "fr", "site": SiteFactory().pk, "last_name": "D",
         "first_name": "A", **INLINES},
    )  # fmt: skip
    card = Card.objects.get()
    assert response.status_code == 302
    event = CardEvent.objects.get(card=card)
    assert (event.kind, event.actor) == (CardEvent.Kind.CREATED, admin_user.username)


def test_card_change_writes_the_contact_details_only(admin_client):
    card = CardFactory(numero_etranger="2008006503")
    other_site = CardFactory().site
    # Marked ready since the agent opened the form: the status is kept.
    Card.objects.filter(pk=card.pk).update(status=Card.Status.READY)
    response = admin_client.post(
        f"/admin/booking/card/{card.pk}/change/",
        {"numero_etranger": "1111111111", "site": other_site.pk,
         "status": Card.Status.IN_PRODUCTION, "mobile": "07 98 76 54 32",
         "language": "en", "last_name": "Diallo", "first_name": "Awa", **INLINES},
    )  # fmt: skip
    assert response.status_code == 302
    card.refresh_from_db()
    assert (card.mobile, card.language) == ("+33798765432", "en")
    assert card.numero_etranger == "2008006503"
    assert card.site != other_site
    assert card.status == Card.Status.READY


def test_a_message_page_is_read_only_so_saving_cannot_undo_the_worker(admin_client):
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="a", now=timezone.now())
    message = OutgoingMessage.objects.get(card=card)
    url = reverse("admin:booking_outgoingmessage_change", args=[message.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    # The worker records a result while the agent has the page open; a POST of the
    # stale page changes nothing.
    OutgoingMessage.objects.filter(pk=message.pk).update(status="delivered")
    assert admin_client.post(url, {"status": "pending"}).status_code == 403
    message.refresh_from_db()
    assert message.status == "delivered"
