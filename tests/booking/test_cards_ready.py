from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from booking import services
from booking.models import Card, OutgoingMessage
from tests.admin_uploads import DELIVERY_URL, admin_upload, figure
from tests.factories import CardFactory, SiteFactory, TitleRecordFactory

pytestmark = pytest.mark.django_db

HEADER = "numero_etranger,nom,prenom,telephone,site\n"
READY = "Titres marqués disponibles (un SMS chacun)"


def run(tmp_path, capsys, body: str) -> list[str]:
    path = tmp_path / "livraison.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    call_command("cards_ready", str(path))
    return capsys.readouterr().out.splitlines()


def test_batch_creates_unknown_cards_marks_ready_and_reports_bad_lines(
    tmp_path, capsys
):
    SiteFactory(name="Préfecture du Loiret — Orléans", sms_name="Orleans")
    existing = CardFactory(numero_etranger="4512345678")
    out = run(
        tmp_path,
        capsys,
        "208006503,Diallo,Awa,06 12 34 56 78,Orleans\n"
        "4512345678,Nguyen,Linh,+33 7 81 23 45 67,\n"
        "123,X,Y,0612345678,\n"
        "4598765432,Z,W,01 23 45 67 89,\n"
        "4598765433,Z,W,0612345678,Nowhere\n",
    )
    assert out[0] == "ready 2, already 0, rejected 3"
    assert out[1].startswith("line 4: numero_etranger")
    assert out[2].startswith("line 5: telephone : numéro fixe")
    assert out[3].startswith("line 6: site : lieu inconnu")
    assert Card.objects.get(numero_etranger="2008006503").status == "disponible"
    existing.refresh_from_db()
    assert existing.status == "disponible"
    assert OutgoingMessage.objects.count() == 2


def test_running_the_same_file_twice_sends_nothing_new(tmp_path, capsys):
    SiteFactory()
    body = "208006503,Diallo,Awa,06 12 34 56 78,\n"
    run(tmp_path, capsys, body)
    out = run(tmp_path, capsys, body)
    assert out[0] == "ready 0, already 1, rejected 0"
    assert OutgoingMessage.objects.count() == 1
    assert Card.objects.count() == 1


def test_the_same_upload_in_the_admin(admin_client):
    SiteFactory()
    data = (
        HEADER + "208006503,Diallo,Awa,06 12 34 56 78,\n123,X,Y,0612345678,\n"
    ).encode()
    page = admin_upload(admin_client, DELIVERY_URL, "livraison.csv", data)
    assert figure(page, READY) == 1 and "Ligne 3" in page
    assert OutgoingMessage.objects.count() == 1


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe garbage \x00",
        b"numero_etranger;nom\n1;2\n",
        "é,è\n".encode("latin-1"),
    ],
)
def test_a_broken_upload_is_reported_and_changes_nothing(admin_client, content):
    assert "errorlist" in admin_upload(admin_client, DELIVERY_URL, "x.csv", content)
    assert not Card.objects.exists()


@pytest.mark.parametrize("name", ['"Dia\x00llo"', '"Dia\x07llo"', '"Dia\nllo"'])
def test_a_control_character_in_a_cell_rejects_its_row_only(tmp_path, capsys, name):
    SiteFactory()
    out = run(
        tmp_path,
        capsys,
        f"208006503,{name},Awa,06 12 34 56 78,\n4512345678,Nguyen,Linh,0781234567,\n",
    )
    assert out[0] == "ready 1, already 0, rejected 1"
    # a line break inside quotes ends the row on the next line of the file
    assert out[1] in (
        "line 2: nom : caractère de contrôle refusé",
        "line 3: nom : caractère de contrôle refusé",
    )
    assert list(Card.objects.values_list("numero_etranger", flat=True)) == [
        "4512345678"
    ]


def test_a_numero_twice_in_the_file_names_its_first_line(tmp_path, capsys):
    SiteFactory()
    out = run(
        tmp_path,
        capsys,
        "208006503,Diallo,Awa,06 12 34 56 78,\n2008006503,Diallo,Awa,0612345678,\n",
    )
    assert out[0] == "ready 1, already 0, rejected 1"
    assert out[1] == "line 3: numero_etranger en double (déjà ligne 2)"


def test_without_any_active_site_each_row_is_rejected_and_nothing_sent(
    tmp_path, capsys
):
    out = run(tmp_path, capsys, "208006503,Diallo,Awa,06 12 34 56 78,\n")
    assert out == [
        "ready 0, already 0, rejected 1",
        "line 2: site : aucun lieu d’accueil configuré",
    ]
    assert not Card.objects.exists() and not OutgoingMessage.objects.exists()


@pytest.mark.parametrize("content", [None, b"numero_etranger;nom\n1;2\n"])
def test_command_stops_on_a_missing_or_broken_file_and_changes_nothing(
    tmp_path, content
):
    path = tmp_path / "livraison.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError):
        call_command("cards_ready", str(path))
    assert not Card.objects.exists()


def test_a_card_first_known_from_the_delivery_list_has_its_created_event(admin_client):
    SiteFactory()
    known = CardFactory(numero_etranger="4512345678")
    data = (
        HEADER + "208006503,Diallo,Awa,0612345678,\n"
        "4512345678,Nguyen,Linh,0781234567,\n"
    ).encode()
    admin_upload(admin_client, DELIVERY_URL, "livraison.csv", data)
    new = Card.objects.get(numero_etranger="2008006503")
    assert list(new.events.values_list("kind", "actor")) == [
        ("created", "admin"),
        ("ready", "admin"),
    ]
    # A card already known gets no second CREATED event.
    assert list(known.events.values_list("kind", flat=True)) == ["ready"]


# One SMS per card, whatever is imported (issue 15, item 4).

LINE = "208006503,Diallo,Awa,06 12 34 56 78,\n"
NUMERO = "2008006503"


def hand_over_all(**fields) -> None:
    """The holder collected the card (the desk's rules are tested elsewhere)."""
    Card.objects.update(
        status=fields.pop("status", "remise"), handed_over_at=timezone.now(), **fields
    )


@pytest.mark.parametrize("status", ["remise", "retournee"])
@pytest.mark.parametrize("in_register", [False, True])
def test_reimporting_a_list_after_the_handover_creates_no_card_and_no_sms(
    tmp_path, capsys, status, in_register
):
    SiteFactory()
    if in_register:
        TitleRecordFactory(numero_etranger=NUMERO)
    run(tmp_path, capsys, LINE)
    hand_over_all(status=status)
    out = run(tmp_path, capsys, LINE)
    assert out[0] == "ready 0, already 1, rejected 0"
    assert out[1].startswith("line 2: titre déjà")
    assert Card.objects.count() == 1 and OutgoingMessage.objects.count() == 1


def test_a_renewal_in_the_register_gets_its_card_and_sms(tmp_path, capsys):
    SiteFactory()
    record = TitleRecordFactory(numero_etranger=NUMERO, valid_until=date(2027, 6, 30))
    run(tmp_path, capsys, LINE)
    hand_over_all()
    record.valid_until = date(2031, 6, 30)  # renewed: a new title
    record.save()
    out = run(tmp_path, capsys, LINE)
    assert out == ["ready 1, already 0, rejected 0"]
    assert list(
        Card.objects.order_by("pk").values_list("status", "title_valid_until")
    ) == [("remise", date(2027, 6, 30)), ("disponible", date(2031, 6, 30))]
    assert OutgoingMessage.objects.count() == 2
    # The renewal's list imported again: nothing new either.
    assert run(tmp_path, capsys, LINE)[0] == "ready 0, already 1, rejected 0"
    assert OutgoingMessage.objects.count() == 2


def test_without_register_an_old_card_is_a_renewal_a_recent_one_is_not(
    tmp_path, capsys
):
    SiteFactory()
    run(tmp_path, capsys, LINE)
    hand_over_all(created_at=timezone.now() - timedelta(days=200))
    assert run(tmp_path, capsys, LINE)[0] == "ready 0, already 1, rejected 0"
    hand_over_all(created_at=timezone.now() - timedelta(days=400))
    assert run(tmp_path, capsys, LINE)[0] == "ready 1, already 0, rejected 0"
    assert Card.objects.count() == 2 and OutgoingMessage.objects.count() == 2


def test_a_new_phone_updates_a_card_in_production_and_its_pending_sms(
    tmp_path, capsys, settings
):
    SiteFactory()
    card = CardFactory(numero_etranger=NUMERO, mobile="+33612345678")
    out = run(tmp_path, capsys, "208006503,Diallo,Awa,07 81 23 45 67,\n")
    assert out == ["ready 1, already 0, rejected 0", "line 2: téléphone mis à jour"]
    card.refresh_from_db()
    assert card.mobile == "+33781234567"
    assert card.history.first().history_change_reason == "cards_ready (commande)"
    assert OutgoingMessage.objects.get().to == "+33781234567"


def test_a_new_phone_after_the_sms_went_says_so_and_sends_nothing(tmp_path, capsys):
    SiteFactory()
    run(tmp_path, capsys, LINE)
    OutgoingMessage.objects.update(status="sent")
    out = run(tmp_path, capsys, "208006503,Diallo,Awa,07 81 23 45 67,\n")
    assert out[0] == "ready 0, already 1, rejected 0"
    assert out[1] == (
        "line 2: téléphone mis à jour ; le SMS « titre disponible » était déjà parti "
        "vers l’ancien numéro (il n’est pas renvoyé)"
    )
    assert Card.objects.get().mobile == "+33781234567"
    message = OutgoingMessage.objects.get()
    assert message.to == "+33612345678"  # what was sent stays as it was


def test_the_admin_import_result_names_the_updated_phone(admin_client):
    SiteFactory()
    CardFactory(numero_etranger=NUMERO, mobile="+33612345678")
    data = (HEADER + "208006503,Diallo,Awa,0781234567,\n").encode()
    page = admin_upload(admin_client, DELIVERY_URL, "livraison.csv", data)
    assert "Ligne 2" in page and "téléphone mis à jour" in page


def test_a_card_recorded_by_hand_for_a_handed_over_title_is_marked_by_the_list(
    tmp_path, capsys
):
    """A duplicate after a loss (same title): the agent records it, the list then
    marks it ready and sends its SMS."""
    site = SiteFactory()
    TitleRecordFactory(numero_etranger=NUMERO, valid_until=date(2027, 6, 30))
    run(tmp_path, capsys, LINE)
    hand_over_all()
    card = services.card_create(
        numero_etranger=NUMERO,
        last_name="Diallo",
        first_name="Awa",
        mobile="0612345678",
        language="fr",
        site_id=site.pk,
        by="agent",
    )
    assert card.title_valid_until == date(2027, 6, 30)
    assert run(tmp_path, capsys, LINE)[0] == "ready 1, already 0, rejected 0"
    assert OutgoingMessage.objects.filter(card=card).count() == 1


def test_a_french_excel_delivery_list_is_read_and_said(admin_client):
    """Semicolons and Windows-1252, as French Excel saves "CSV": the accented name
    comes through, and the page says how the file was read."""
    SiteFactory()
    data = (HEADER.replace(",", ";") + "208006503;Hénin;Zoé;06 12 34 56 78;\n").encode(
        "cp1252"
    )
    page = admin_upload(admin_client, DELIVERY_URL, "livraison.csv", data)
    assert figure(page, READY) == 1
    assert "Fichier lu en Windows-1252, colonnes séparées par « ; »." in page
    assert Card.objects.get().last_name == "Hénin"


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_a_new_phone_after_the_sms_did_not_arrive_sends_it_to_the_new_one(
    tmp_path, capsys, status
):
    """The SMS "titre disponible" never reached the old number: only people who
    received it may collect, so the corrected number gets it, once."""
    SiteFactory()
    run(tmp_path, capsys, LINE)
    OutgoingMessage.objects.update(status=status, attempts=3)
    out = run(tmp_path, capsys, "208006503,Diallo,Awa,07 81 23 45 67,\n")
    assert out[1] == (
        "line 2: téléphone mis à jour ; le SMS « titre disponible », non reçu à "
        "l’ancien numéro, part vers le nouveau"
    )
    message = OutgoingMessage.objects.get()
    assert (message.to, message.status) == ("+33781234567", "pending")
    # The same list again changes nothing more.
    run(tmp_path, capsys, "208006503,Diallo,Awa,07 81 23 45 67,\n")
    assert OutgoingMessage.objects.get().status == "pending"


def test_a_line_without_a_nom_is_refused_the_prenom_may_be_missing(tmp_path, capsys):
    """Found by the agents' walk: a card with neither nom nor prénom was marked
    ready, and the desk could not check the holder's identity."""
    SiteFactory()
    out = run(
        tmp_path,
        capsys,
        "4588888881,,,0612345699,\n4588888882,Diallo,,0612345698,\n",
    )
    assert out == ["ready 1, already 0, rejected 1", "line 2: nom : manquant"]
    assert Card.objects.get().numero_etranger == "4588888882"
