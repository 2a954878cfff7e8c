"""Everything an agent reads is in words, in the agent's language (French first,
English with the admin's language switch): import results, statuses in the agenda
export, the audit trails, the dérogation's motive, the desk's search hint."""

import csv
import io
from datetime import datetime

import pytest
from django.utils import translation

from booking import services
from booking.models import Booking, BookingEvent, Card, CardEvent, OutgoingMessage
from booking.services.cards import BatchReport
from booking.services.register import ImportReport
from tests.admin_uploads import DELIVERY_URL, REGISTER_URL, admin_upload, figure
from tests.clock import PARIS
from tests.factories import BookingFactory, CardFactory, SiteFactory, SlotFactory

pytestmark = pytest.mark.django_db

FRIDAY_10 = datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)
SUNDAY_18 = datetime(2026, 11, 29, 18, 0, tzinfo=PARIS)  # outside the desk's hours


@pytest.fixture(autouse=True)
def french_first():
    """A request in English leaves English active in the test's thread: each test
    starts in French, as an agent's first page."""
    with translation.override("fr"):
        yield


def english(client):
    """The admin's language switch (the set_language form) stores this cookie."""
    client.cookies["django_language"] = "en"
    return client


# --- import results: French in the admin, the CONTRACT's English from the commands


def test_the_register_import_page_gives_its_result_in_french(admin_client):
    data = (
        b"numero_etranger,date_validite,code_postal,type_titre,telephone\n"
        b"208006503,2028-03-31,45000,carte_resident,06 12 34 56 78\n"
        b"4512345678,30/06/2027,45100,carte_sejour,\n"
        b"12345,2028-03-31,45000,carte_sejour,\n"
        b"4512345679,2028-13-45,45000,carte_sejour,\n"
    )
    page = admin_upload(admin_client, REGISTER_URL, "registre.csv", data)
    assert figure(page, "Titres nouveaux") == 2
    assert figure(page, "Titres inchangés") == 0
    assert figure(page, "Lignes refusées") == 2
    assert "imported" not in page and "rejected" not in page


def test_the_delivery_page_gives_its_result_in_french_and_english(admin_client):
    SiteFactory()
    data = (
        "numero_etranger,nom,prenom,telephone,site\n"
        "208006503,Diallo,Awa,06 12 34 56 78,\n"
        "4512345678,Martin,Léa,06 12 34 56 79,\n"
        "123,X,Y,0612345678,\n"
    ).encode()
    page = admin_upload(admin_client, DELIVERY_URL, "livraison.csv", data)
    assert figure(page, "Titres marqués disponibles (un SMS chacun)") == 2
    assert figure(page, "Déjà disponibles, remis ou retournés (aucun SMS)") == 0
    assert figure(page, "Lignes refusées") == 1
    assert "ready 2" not in page and "rejected" not in page
    page = admin_upload(english(admin_client), DELIVERY_URL, "livraison.csv", data)
    assert figure(page, "Cards marked ready (one SMS each)") == 0
    assert figure(page, "Already ready, handed over or returned (no SMS)") == 2
    assert figure(page, "Refused lines") == 1


def test_the_commands_keep_the_contract_summary():
    report = ImportReport(imported=2, updated=0, rejected=[(3, "x"), (4, "y")])
    assert report.summary() == "imported 2, updated 0, rejected 2"
    batch = BatchReport(ready=3, already=0, rejected=[(2, "x")])
    assert batch.summary() == "ready 3, already 0, rejected 1"


# --- statuses in the agenda export


def agenda_rows(client, day) -> list[list[str]]:
    response = client.get(
        "/admin/booking/booking/agenda/", {"day": day.isoformat(), "format": "csv"}
    )
    return list(
        csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    )


@pytest.fixture
def day_of_statuses():
    start = datetime(2027, 1, 12, 9, 0, tzinfo=PARIS)
    for minutes, status in enumerate(Booking.Status.values):
        BookingFactory(
            slot=SlotFactory(starts_at=start.replace(minute=minutes * 10)),
            status=status,
        )
    return start.date()


def test_the_agenda_export_writes_statuses_as_agents_read_them(
    admin_client, day_of_statuses
):
    rows = agenda_rows(admin_client, day_of_statuses)[1:]
    assert [row[6] for row in rows] == ["confirmé", "annulé", "honoré", "absent"]
    assert all(row[2].startswith("Démarche ") for row in rows)
    english_rows = agenda_rows(english(admin_client), day_of_statuses)[1:]
    assert [row[6] for row in english_rows] == [
        "confirmed",
        "cancelled",
        "attended",
        "no-show",
    ]
    # The démarche as the agent reads it too (its English name).
    assert all(row[2].startswith("Procedure ") for row in english_rows)


# --- audit trails: the event's label and a worded detail, never the raw row


def test_a_card_history_is_in_words(admin_client):
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=FRIDAY_10)
    services.card_hand_over(
        card_id=card.pk,
        by="chef",
        now=SUNDAY_18,
        override_reason="SMS perdu, identité vérifiée",
    )
    url = f"/admin/booking/card/{card.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert f"{card.pk} ready" not in page and f"{card.pk} override" not in page
    assert "remise par dérogation" in page
    assert "motif : SMS perdu, identité vérifiée" in page
    assert "règles levées : " in page and "du lundi au vendredi" in page
    assert "&quot;reason&quot;" not in page and "refusals" not in page
    english_page = english(admin_client).get(url).content.decode()
    assert "handed over by exception" in english_page
    assert "&quot;reason&quot;" not in english_page


def test_a_booking_history_is_in_words(admin_client):
    booking = BookingFactory(
        slot=SlotFactory(starts_at=datetime(2027, 1, 12, 9, 0, tzinfo=PARIS))
    )
    services.booking_flag_numero(booking_id=booking.pk, by="accueil", note="un tiers")
    BookingEvent.objects.create(
        booking=booking,
        kind=BookingEvent.Kind.CREATED,
        actor="usager",
        detail={"slot": booking.slot.pk},
    )
    page = admin_client.get(
        f"/admin/booking/booking/{booking.pk}/change/"
    ).content.decode()
    assert "numéro signalé douteux" in page and "note : un tiers" in page
    assert "12 janvier 2027 09:00" in page
    assert "&quot;note&quot;" not in page and "&quot;slot&quot;" not in page
    assert f"{booking.pk} flagged" not in page


# --- the desk: the dérogation's motive, the search hint


def ready_card() -> Card:
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=FRIDAY_10)
    message = OutgoingMessage.objects.get(card=card)
    services.message_send(message_id=message.pk, now=FRIDAY_10)
    return card


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_derogation_without_a_motive_says_the_motive_is_required(
    admin_client, monkeypatch, reason
):
    card = ready_card()
    monkeypatch.setattr("booking.admin.cards.timezone.now", lambda: SUNDAY_18)
    response = admin_client.post(
        "/admin/booking/card/remise/",
        {"card": card.pk, "override": "1", "reason": reason},
        follow=True,
    )
    html = response.content.decode()
    assert "motif obligatoire" in html
    assert "du lundi au vendredi de 9h à 12h" not in html
    card.refresh_from_db()
    assert card.status == Card.Status.READY
    assert not card.events.filter(kind=CardEvent.Kind.OVERRIDE).exists()


def test_a_derogation_with_its_motive_is_recorded(admin_client, monkeypatch):
    card = ready_card()
    monkeypatch.setattr("booking.admin.cards.timezone.now", lambda: SUNDAY_18)
    admin_client.post(
        "/admin/booking/card/remise/",
        {"card": card.pk, "override": "1", "reason": "titre urgent"},
    )
    assert card.events.get(kind=CardEvent.Kind.OVERRIDE).detail["reason"] == (
        "titre urgent"
    )


def test_the_desk_hint_says_what_the_search_accepts(admin_client):
    card = ready_card()
    provider_id = OutgoingMessage.objects.get(card=card).provider_id
    assert provider_id
    page = admin_client.get("/admin/booking/card/remise/").content.decode()
    assert "référence du SMS" not in page
    assert "identifiant fournisseur du SMS" in page
    assert "SMS et courriels envoyés" in page
    # what the hint names is what the outbox list shows, and what the desk finds
    outbox = admin_client.get("/admin/booking/outgoingmessage/").content.decode()
    assert provider_id in outbox and "identifiant fournisseur" in outbox.lower()
    for query in (
        provider_id,
        card.numero_etranger[:2] + " " + card.numero_etranger[2:],
    ):
        found = admin_client.get("/admin/booking/card/remise/", {"q": query})
        assert card.numero_etranger in found.content.decode()


def test_a_booking_history_page_says_statuses_and_flags_in_words(admin_client):
    booking = BookingFactory(
        slot=SlotFactory(starts_at=datetime(2027, 1, 12, 9, 0, tzinfo=PARIS))
    )
    services.booking_check_in(
        booking_id=booking.pk,
        by="accueil",
        present=False,
        now=datetime(2027, 1, 12, 10, 0, tzinfo=PARIS),  # after it ended
    )
    services.booking_flag_numero(booking_id=booking.pk, by="accueil", note="un tiers")
    url = f"/admin/booking/booking/{booking.pk}/history/"
    page = admin_client.get(url).content.decode()
    assert "confirmé&nbsp;&rarr;&nbsp;absent" in page
    assert "non&nbsp;&rarr;&nbsp;oui" in page
    assert "Modifications" in page
    for raw in ("no_show", "False", "True", "None", "Changes"):
        assert raw not in page, raw
    english_page = english(admin_client).get(url).content.decode()
    assert "confirmed&nbsp;&rarr;&nbsp;no-show" in english_page


def test_a_card_page_heads_no_row_with_an_internal_key(admin_client):
    card = ready_card()
    page = admin_client.get(f"/admin/booking/card/{card.pk}/change/").content.decode()
    key = OutgoingMessage.objects.get(card=card).idempotency_key
    assert key not in page
    assert f"{card.pk} ready" not in page


def test_the_reference_histories_are_in_words_too(admin_client):
    site = SiteFactory(name="Orléans")
    site.is_active = False
    site.save()
    page = admin_client.get(f"/admin/booking/site/{site.pk}/history/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Modifications" in html and "oui&nbsp;&rarr;&nbsp;non" in html


def test_the_desk_finds_a_card_by_its_holders_nom_in_any_case(admin_client):
    card = ready_card()
    other = CardFactory(last_name="Martin")
    page = admin_client.get(
        "/admin/booking/card/remise/", {"q": f"  {card.last_name.upper()} "}
    ).content.decode()
    assert card.numero_etranger in page and other.numero_etranger not in page
    assert "nom ou identifiant fournisseur du SMS" in page
    # One letter finds nobody: the desk does not list every card.
    one_letter = admin_client.get("/admin/booking/card/remise/", {"q": "M"})
    assert other.numero_etranger not in one_letter.content.decode()


def test_the_desk_finds_a_holder_as_typed_from_a_passport(admin_client):
    """Found walking the agents' day: "Lefevre" (Lefèvre), "Ozturk" (Öztürk) and the
    full name as the page prints it found nothing."""
    lefevre = CardFactory(last_name="Lefèvre", first_name="Zoé")
    ozturk = CardFactory(last_name="Öztürk", first_name="Emre")
    haddad = CardFactory(last_name="Haddad", first_name="Rania")
    for query, card in [
        ("Lefevre", lefevre),
        ("LEFÈVRE zoe", lefevre),
        ("ozturk", ozturk),
        ("Haddad Rania", haddad),
        ("rania haddad", haddad),
    ]:
        page = admin_client.get("/admin/booking/card/remise/", {"q": query})
        html = page.content.decode()
        assert card.numero_etranger in html, query
        others = {lefevre, ozturk, haddad} - {card}
        assert not any(other.numero_etranger in html for other in others), query


def test_an_sms_page_names_its_subject_in_french(admin_client):
    """Found walking the agents' day: "Card :", "Booking :", "Waiting request :"."""
    card = CardFactory()
    services.card_mark_ready(card_ids=[card.pk], by="agent", now=FRIDAY_10)
    message = OutgoingMessage.objects.get()
    page = admin_client.get(
        f"/admin/booking/outgoingmessage/{message.pk}/change/"
    ).content.decode()
    assert "Card" not in page and "Booking" not in page
    assert "Waiting request" not in page
    assert "<label>Titre\xa0:</label>" in page
