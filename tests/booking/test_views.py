"""The applicant's flow over HTTP: gate, identity, slots, details, confirmation."""

import re
from datetime import date, timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import availability, selectors
from booking.models import Booking, Hold, Procedure, Slot, TitleRecord
from booking.web import flow
from tests.booking.flow import CONTACT, IDENTITY, hold, pass_gate, pass_identity
from tests.factories import (
    BookingFactory,
    ProcedureFactory,
    SiteFactory,
    SlotFactory,
    TitleRecordFactory,
)

pytestmark = pytest.mark.django_db

ANEF = "https://invite.contacts-demarches.interieur.gouv.fr/Etrangers"
FIRST_REQUEST = (
    "https://www.demarches-simplifiees.fr/commencer/"
    "formulaire-etranger-premiere-demande-de-titre"
)
LATER_STEPS = [
    "/rendez-vous/identite/",
    "/rendez-vous/creneaux/",
    "/rendez-vous/coordonnees/",
]


def html(response) -> str:
    return response.content.decode()


def flow_state(client) -> flow.FlowState | None:
    """The flow state as the next step would read it."""

    class Request:
        session = client.session

    return flow.load(Request())  # type: ignore[arg-type]


# --- the whole flow ------------------------------------------------------------


def test_eligible_applicant_books_with_a_nine_digit_number(
    client, renewal, slot, title
):
    response = pass_gate(client, renewal)
    assert (
        response.status_code == 302 and response["Location"] == "/rendez-vous/identite/"
    )
    response = client.post("/rendez-vous/identite/", IDENTITY, follow=True)
    page = html(response)
    assert "nous utiliserons le numéro 2008006503" in page
    assert f'value="{slot.pk}"' in page
    response = client.post("/rendez-vous/creneaux/", {"slot": slot.pk})
    assert response["Location"] == "/rendez-vous/coordonnees/"
    response = client.post("/rendez-vous/coordonnees/", CONTACT, follow=True)
    page = html(response)
    booking = Booking.objects.get()
    assert booking.numero_etranger == "2008006503"
    assert booking.mobile == "+33612345678"
    assert booking.reference in page
    assert "Votre rendez-vous est confirmé" in page
    assert "/rendez-vous/gerer/" in page
    assert "utilisez le lien envoyé par courriel" in page  # an address was given
    assert not Hold.objects.exists()
    ics = client.get("/rendez-vous/confirme/rendez-vous.ics")
    assert ics["Content-Type"] == "text/calendar"
    assert booking.reference.encode() in ics.content


def test_without_an_email_the_confirmation_speaks_of_the_sms(
    client, renewal, slot, title
):
    """Issue 16, item 9: it said "le lien envoyé par courriel" to whoever gave no
    address."""
    pass_gate(client, renewal)
    client.post("/rendez-vous/identite/", IDENTITY)
    client.post("/rendez-vous/creneaux/", {"slot": slot.pk})
    page = html(
        client.post("/rendez-vous/coordonnees/", {**CONTACT, "email": ""}, follow=True)
    )
    assert "Votre rendez-vous est confirmé" in page
    assert "utilisez le lien envoyé par SMS" in page and "par courriel" not in page


def test_forms_carry_the_contract_labels_and_autocomplete(client, renewal, slot, title):
    gate = html(client.get("/rendez-vous/"))
    for label in ("titre de séjour", "récépissé", "autorisation provisoire de séjour",
                  "première demande"):  # fmt: skip
        assert label in gate
    identity = html(pass_gate(client, renewal) and client.get("/rendez-vous/identite/"))
    for field, label in [
        ("numero_etranger", "Numéro étranger"),
        ("valid_until", "Date de validité"),
        ("postal_code", "Code postal"),
    ]:
        assert re.search(
            rf'<label for="id_{field}" class="fr-label">\s*{label}', identity
        )
    client.post("/rendez-vous/identite/", IDENTITY)
    client.post("/rendez-vous/creneaux/", {"slot": slot.pk})
    details = html(client.get("/rendez-vous/coordonnees/"))
    assert re.search(
        r'<label for="id_mobile" class="fr-label">\s*Téléphone portable', details
    )
    assert re.search(
        r'<label for="id_email" class="fr-label">\s*Adresse électronique', details
    )
    for autocomplete in ("tel", "email", "given-name", "family-name"):
        assert f'autocomplete="{autocomplete}"' in details


# --- the gate ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("situation", "url"),
    [("recepisse", ANEF), ("aps", ANEF), ("premiere_demande", FIRST_REQUEST)],
)
def test_ineligible_profiles_see_reason_link_and_alternative_before_any_slot(
    client, renewal, slot, situation, url
):
    SiteFactory(name="Accueil Orléans", opening_hours_fr="Point numérique : 9h–12h")
    response = pass_gate(client, renewal, situation)
    page = html(response)
    assert response.status_code == 200
    assert f'href="{url}"' in page
    assert "Accueil Orléans" in page and "Point numérique : 9h–12h" in page
    assert f'value="{slot.pk}"' not in page
    assert flow_state(client) is None


def test_online_procedure_is_sent_to_its_link(client):
    online = ProcedureFactory(channel="online", external_url=ANEF, name_fr="Duplicata")
    page = html(pass_gate(client, online))
    assert f'href="{ANEF}"' in page and "Duplicata" in page


def test_collecting_a_card_explains_the_sms_rule(client):
    collection = ProcedureFactory(channel=Procedure.ChannelChoice.COLLECTION)
    page = html(pass_gate(client, collection))
    assert "Seules les personnes ayant reçu un SMS" in page
    assert "du lundi au vendredi de 9h à 12h" in page


def test_the_collection_page_shows_only_what_applies_to_collecting(client):
    # The online démarche's help box (the front desk's digital point) is for the
    # online outcomes; a card is collected where the SMS says, without a démarche.
    SiteFactory(name="Accueil Orléans", opening_hours_fr="Point numérique : 9h–12h")
    collection = ProcedureFactory(channel=Procedure.ChannelChoice.COLLECTION)
    page = html(pass_gate(client, collection))
    assert "Retirer votre titre de séjour : sans rendez-vous" in page
    assert "démarche en ligne" not in page
    assert "Point numérique" not in page
    assert "Accueil Orléans" not in page


def test_channels_are_data_agents_can_change(client, renewal):
    renewal.channel = "online"
    renewal.external_url = ANEF
    renewal.save()
    assert f'href="{ANEF}"' in html(pass_gate(client, renewal))


def test_gate_errors_keep_the_other_choice(client, renewal):
    page = html(client.post("/rendez-vous/", {"procedure": renewal.pk}))
    assert "Indiquez votre situation." in page
    assert f'<option value="{renewal.pk}" selected>' in page
    page = html(
        client.post("/rendez-vous/", {"situation": "aps", "procedure": "99999"})
    )
    assert "Cette démarche n’est pas proposée" in page
    assert re.search(r'value="aps"[^>]*checked', page)


@pytest.mark.parametrize("value", ["99999", "-1", "1.0", "9" * 40, "x"])
def test_gate_refuses_a_demarche_not_offered(client, renewal, value):
    page = html(client.post("/rendez-vous/", {"situation": "aps", "procedure": value}))
    assert "Cette démarche n’est pas proposée" in page


def test_gate_refuses_a_demarche_withdrawn_since_the_page_was_shown(client, renewal):
    renewal.is_active = False
    renewal.save()  # moves the démarches' version: every process reads them again
    page = html(pass_gate(client, renewal))
    assert "Cette démarche n’est pas proposée" in page


# --- gate bypass -----------------------------------------------------------------


@pytest.mark.parametrize("url", LATER_STEPS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_later_steps_refuse_a_request_that_did_not_pass_the_gate(client, url, method):
    response = getattr(client, method)(url, {"slot": 1, **IDENTITY, **CONTACT})
    assert response.status_code == 302 and response["Location"] == "/rendez-vous/"
    assert "recommencer depuis le début" in html(client.get("/rendez-vous/"))
    assert not Booking.objects.exists()


def test_tampered_state_is_refused(client, renewal, slot, title):
    hold(client, renewal, slot)
    session = client.session
    token = session[flow.SESSION_KEY]
    payload, _, signature = token.rpartition(":")
    session[flow.SESSION_KEY] = payload + ":" + signature[::-1]
    session.save()
    response = client.post("/rendez-vous/coordonnees/", CONTACT)
    assert response["Location"] == "/rendez-vous/"
    assert not Booking.objects.exists()


def test_state_forged_with_another_numero_is_refused(client, renewal, slot, title):
    hold(client, renewal, slot)
    session = client.session
    forged = signing.dumps(
        {"session": session.session_key, "procedure_id": renewal.pk, "situation": "x",
         "numero_etranger": "9999999999", "hold_token": "t", "slot_id": slot.pk},
        salt="not-the-flow-salt",
    )  # fmt: skip
    session[flow.SESSION_KEY] = forged
    session.save()
    assert (
        client.post("/rendez-vous/coordonnees/", CONTACT)["Location"] == "/rendez-vous/"
    )


def test_expired_state_is_refused(client, renewal, slot, title, settings):
    hold(client, renewal, slot)
    settings.BOOKING_FLOW_MAX_AGE_SECONDS = -1
    assert (
        client.post("/rendez-vous/coordonnees/", CONTACT)["Location"] == "/rendez-vous/"
    )
    assert not Booking.objects.exists()


def test_state_copied_from_another_session_is_refused(renewal, slot, title):
    owner, thief = Client(), Client()
    hold(owner, renewal, slot)
    thief.get("/rendez-vous/")
    stolen = owner.session[flow.SESSION_KEY]
    session = SessionStore(session_key=thief.session.session_key)
    session[flow.SESSION_KEY] = stolen
    session.save()
    response = thief.post("/rendez-vous/coordonnees/", CONTACT)
    assert response["Location"] == "/rendez-vous/"
    assert not Booking.objects.exists()


def procedure_reads(client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        page = html(client.get(url))
    return page, sum('FROM "booking_procedure"' in q["sql"] for q in captured)


def test_the_demarche_is_read_once_for_the_whole_flow(client, renewal, slot, title):
    pass_identity(client, renewal)
    assert procedure_reads(client, "/rendez-vous/creneaux/")[1] == 0


def test_the_gates_form_is_shared_through_the_cache(renewal):
    first, reads = procedure_reads(Client(), "/rendez-vous/")
    assert reads == 1 and "Renouvellement" in first
    second, reads = procedure_reads(Client(), "/rendez-vous/")
    assert reads == 0 and "Renouvellement" in second

    def token(page: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    assert token(first) != token(second)  # each person's own, outside the cache
    assert first.count("<form") == second.count("<form") == 1
    english = html(Client().get("/en/rendez-vous/"))
    assert "Your situation" in english and "Votre situation" not in english


def test_a_demarche_added_or_renamed_shows_at_once_on_the_gate(renewal):
    Client().get("/rendez-vous/")  # cached from now on
    ProcedureFactory(slug="naturalisation", name_fr="Naturalisation")
    renewal.name_fr = "Renouvellement de titre"
    renewal.save()
    page = html(Client().get("/rendez-vous/"))
    assert "Naturalisation" in page and "Renouvellement de titre" in page


def test_a_gate_with_errors_keeps_them_and_the_answer(renewal):
    page = html(Client().post("/rendez-vous/", {"situation": "titre_sejour"}))
    assert "Choisissez votre démarche." in page
    assert re.search(r'<input [^>]*value="titre_sejour"[^>]* checked>', page)
    assert "Choisissez votre démarche." not in html(Client().get("/rendez-vous/"))


def test_a_demarche_renamed_or_withdrawn_shows_at_once(client, renewal, slot, title):
    pass_identity(client, renewal)
    client.get("/rendez-vous/creneaux/")  # cached from now on
    renewal.name_fr = "Renouvellement de titre"
    renewal.save()
    page, reads = procedure_reads(client, "/rendez-vous/creneaux/")
    assert "Renouvellement de titre" in page and reads == 1
    renewal.is_active = False
    renewal.save()
    assert client.get("/rendez-vous/creneaux/").status_code == 404
    renewal.is_active = True
    renewal.save()
    assert client.get("/rendez-vous/creneaux/").status_code == 200


def test_the_cached_demarche_is_dropped_again_after_the_commit(
    renewal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        renewal.save()
        # Another process reads the row before the commit and keeps it.
        assert selectors.procedure_get_offered(pk=renewal.pk) == renewal
        during = selectors.procedures_version()
    # Kept for a version that is no longer current: read again.
    assert selectors.procedures_version() == during + 1


def test_identity_is_required_before_slots(client, renewal, slot):
    pass_gate(client, renewal)
    assert client.post("/rendez-vous/creneaux/", {"slot": slot.pk})["Location"] == (
        "/rendez-vous/"
    )
    assert not Hold.objects.exists()


# --- identity ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("numero_etranger", "12345678", "Ce numéro étranger n’est pas valide"),
        ("numero_etranger", "12345678901", "Ce numéro étranger n’est pas valide"),
        ("numero_etranger", "20080O6503", "vignette OFII"),
        ("numero_etranger", "9" * 41, "Ce numéro est trop long"),
        ("numero_etranger", "", "Saisissez votre numéro étranger"),
        ("valid_until", "31/02/2027", "Cette date n’existe pas"),
        ("valid_until", "demain", "Saisissez la date au format JJ/MM/AAAA"),
        ("postal_code", "45A00", "Un code postal a 5 chiffres"),
        ("postal_code", "4500", "Un code postal a 5 chiffres"),
        ("postal_code", "🙂", "Un code postal a 5 chiffres"),
    ],
)
def test_identity_errors_are_shown_next_to_the_field_and_input_is_kept(
    client, renewal, title, field, value, message
):
    pass_gate(client, renewal)
    data = {**IDENTITY, field: value}
    response = client.post("/rendez-vous/identite/", data)
    page = html(response)
    assert response.status_code == 200
    assert message in page
    assert f'aria-describedby="id_{field}-desc-error"' in page
    for other, typed in IDENTITY.items():
        if other != field:
            assert f'value="{typed}"' in page


def test_mismatch_gets_one_generic_message_whatever_field_was_wrong(
    client, renewal, title
):
    pass_gate(client, renewal)
    messages = set()
    for wrong in (
        {"numero_etranger": "2008006504"},
        {"valid_until": "30/03/2028"},
        {"postal_code": "45100"},
    ):
        page = html(client.post("/rendez-vous/identite/", {**IDENTITY, **wrong}))
        found = re.findall(r"Nous ne trouvons pas de titre[^<]*", page)
        assert len(found) == 1
        messages.add(found[0])
    assert len(messages) == 1


def test_failed_attempts_are_limited_with_a_clear_wait(
    client, renewal, title, settings
):
    settings.BOOKING_CHECK_LIMITS = {"session": 3, "ip": 100, "numero": 100}
    pass_gate(client, renewal)
    for _ in range(3):
        client.post("/rendez-vous/identite/", {**IDENTITY, "postal_code": "45100"})
    page = html(client.post("/rendez-vous/identite/", IDENTITY))  # now correct
    assert "Trop d’essais infructueux" in page and "réessayez dans 15 minutes" in page
    assert client.session.get(flow.SESSION_KEY)
    assert flow_state(client).numero_etranger == ""


def test_attempts_are_counted_per_numero_across_sessions(renewal, title, settings):
    settings.BOOKING_CHECK_LIMITS = {"session": 100, "ip": 100, "numero": 2}
    for _ in range(2):
        attacker = Client()
        pass_gate(attacker, renewal)
        attacker.post("/rendez-vous/identite/", {**IDENTITY, "postal_code": "45100"})
    owner = Client()
    pass_gate(owner, renewal)
    # Not a lock-out: past the numéro's limit, a harder proof of work is asked
    # (tests/booking/test_lockout.py follows the holder through it).
    page = html(owner.post("/rendez-vous/identite/", IDENTITY))
    assert "vérification anti-robot plus longue" in page
    assert flow_state(owner).numero_etranger == ""


def test_antibot_off_disables_the_limits(client, renewal, title, settings):
    settings.ANTIBOT = False
    settings.BOOKING_CHECK_LIMITS = {"session": 1, "ip": 1, "numero": 1}
    pass_gate(client, renewal)
    client.post("/rendez-vous/identite/", {**IDENTITY, "postal_code": "45100"})
    response = client.post("/rendez-vous/identite/", IDENTITY)
    assert response.status_code == 302
    assert response["Location"] == "/rendez-vous/creneaux/"
    assert flow_state(client).numero_etranger == "2008006503"


def test_recepisse_in_the_register_is_sent_to_the_anef(client, renewal):
    TitleRecordFactory(
        numero_etranger="4511122233",
        valid_until=date(2027, 1, 31),
        title_type=TitleRecord.TitleType.RECEPISSE,
    )
    pass_gate(client, renewal)
    page = html(
        client.post(
            "/rendez-vous/identite/",
            {"numero_etranger": "4511122233", "valid_until": "31/01/2027",
             "postal_code": "45000"},
        )
    )  # fmt: skip
    assert f'href="{ANEF}"' in page


def test_person_with_an_active_booking_is_told_how_to_manage_it(client, renewal, title):
    existing = BookingFactory(numero_etranger="2008006503")
    page = html(pass_identity(client, renewal))
    # Never the reference (tests/booking/test_manage_link.py): the link is resent.
    assert "Vous avez déjà un rendez-vous" in page and existing.reference not in page
    assert "06 •• •• •• 78" in page


# --- slots --------------------------------------------------------------------------


def test_slots_are_grouped_by_day_earliest_first_with_free_places(
    client, renewal, title
):
    base = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0)
    later = SlotFactory(
        procedure=renewal, starts_at=base + timedelta(days=1), capacity=3
    )
    early = SlotFactory(procedure=renewal, starts_at=base, capacity=2)
    BookingFactory(slot=early)
    pass_identity(client, renewal)
    page = html(client.get("/rendez-vous/creneaux/"))
    assert f'value="{early.pk}"' in page and f'value="{later.pk}"' not in page
    assert "1 place" in page
    assert page.count('<fieldset class="fr-fieldset') == 1  # one day at a time
    following = re.search(r'href="(\?du=[0-9-]+)" rel="next"', page).group(1)
    page = html(client.get(f"/rendez-vous/creneaux/{following}"))
    assert f'value="{later.pk}"' in page and "3 places" in page


def test_the_slot_list_shows_one_day_at_a_time_none_lost(client, renewal, title):
    site = SiteFactory()
    first = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    slots = [
        SlotFactory(
            procedure=renewal,
            site=site,
            starts_at=first + timedelta(days=day, minutes=30 * n),
        )
        for day in range(5)
        for n in range(4)
    ]
    pass_identity(client, renewal)
    seen, url, pages = [], "/rendez-vous/creneaux/", 0
    while url:
        page = html(client.get(url))
        pages += 1
        shown = [s for s in slots if f'value="{s.pk}"' in page]
        assert len({timezone.localtime(s.starts_at).date() for s in shown}) == 1
        seen += [s.pk for s in shown]
        match = re.search(r'href="(\?du=[0-9-]+)" rel="next"', page)
        url = f"/rendez-vous/creneaux/{match.group(1)}" if match else ""
    assert sorted(seen) == sorted(s.pk for s in slots)  # each slot on one page only
    assert pages == 5
    assert "Voir les 5 dates disponibles" in page
    assert 'rel="prev"' in page  # the last day leads back


def test_a_day_without_slots_shows_the_next_day_with_some(client, renewal, title):
    site = SiteFactory()
    first = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    early = SlotFactory(procedure=renewal, site=site, starts_at=first)
    later = SlotFactory(procedure=renewal, site=site, starts_at=first + timedelta(7))
    pass_identity(client, renewal)
    between = (first + timedelta(days=2)).date().isoformat()
    page = html(client.get("/rendez-vous/creneaux/", {"du": between}))
    assert f'value="{later.pk}"' in page and f'value="{early.pk}"' not in page
    beyond = (first + timedelta(days=30)).date().isoformat()
    page = html(client.get("/rendez-vous/creneaux/", {"du": beyond}))
    assert f'value="{later.pk}"' in page  # the last day there is


@pytest.mark.parametrize(
    "du", ["2026-02-30", "\x00", "9999-12-31", "x" * 500, "0001-01-01"]
)
def test_any_start_day_typed_gives_a_page(client, renewal, slot, title, du):
    pass_identity(client, renewal)
    refused = du == "\x00"  # at the edge (prefecture/middleware.py)
    response = client.get("/rendez-vous/creneaux/", {"du": du})
    assert response.status_code == (400 if refused else 200)


def test_no_slot_says_so_plainly(client, renewal, title):
    pass_identity(client, renewal)
    assert "Aucun créneau n’est disponible pour le moment" in html(
        client.get("/rendez-vous/creneaux/")
    )


def test_slot_page_costs_a_fixed_number_of_queries(client, renewal, title):
    pass_identity(client, renewal)

    def queries() -> int:
        availability.changed()  # the list is built, not read from the cache
        with CaptureQueriesContext(connection) as captured:
            client.get("/rendez-vous/creneaux/")
        return len(captured)

    SlotFactory(procedure=renewal)
    queries()  # the first page caches the announcements
    few = queries()
    for day in range(40):
        SlotFactory(
            procedure=renewal, starts_at=timezone.now() + timedelta(days=3, hours=day)
        )
    assert queries() == few


def slot_queries(client) -> tuple[str, int]:
    """The slot page, and how many of its queries read the slots."""
    with CaptureQueriesContext(connection) as captured:
        page = html(client.get("/rendez-vous/creneaux/"))
    return page, sum('FROM "booking_slot"' in q["sql"] for q in captured)


def test_the_slot_list_is_shared_through_the_cache_while_nothing_changes(
    renewal, slot, title
):
    first, second = Client(), Client()
    pass_identity(first, renewal)
    pass_identity(second, renewal)
    page, reads = slot_queries(first)
    assert reads == 2 and "2 places" in page  # the days, then the first day's slots
    page, reads = slot_queries(second)
    assert reads == 0 and "2 places" in page and f'value="{slot.pk}"' in page
    assert 'name="csrfmiddlewaretoken"' in page  # the form is still each person's


# The cached lists' version moves when the writes commit.
@pytest.mark.django_db(transaction=True)
def test_a_hold_and_a_booking_show_at_once_on_the_slot_list(renewal, slot, title):
    watcher, other = Client(), Client()
    pass_identity(watcher, renewal)
    assert "2 places" in slot_queries(watcher)[0]  # cached from now on
    TitleRecordFactory(
        numero_etranger="2101234567", valid_until=date(2028, 3, 31), postal_code="45000"
    )
    other_identity = IDENTITY | {"numero_etranger": "2101234567"}
    pass_identity(other, renewal, other_identity)
    other.post("/rendez-vous/creneaux/", {"slot": slot.pk})
    assert "1 place" in slot_queries(watcher)[0]
    other.post("/rendez-vous/coordonnees/", CONTACT)
    assert Booking.objects.filter(slot=slot).count() == 1
    assert "1 place" in slot_queries(watcher)[0]
    Hold.objects.create(
        slot=slot,
        token="x",
        expires_at=timezone.now() + timedelta(1),
        numero_etranger="2999999999",
    )
    assert "Aucun créneau n’est disponible" in slot_queries(watcher)[0]


def test_an_applicant_holding_a_place_still_sees_it_on_the_list(client, renewal, title):
    slot = SlotFactory(procedure=renewal, capacity=1)
    hold(client, renewal, slot)
    page, _reads = slot_queries(client)
    assert f'value="{slot.pk}"' in page  # their own place, not shared: others see none
    stranger = Client()
    TitleRecordFactory(
        numero_etranger="2101234567", valid_until=date(2028, 3, 31), postal_code="45000"
    )
    pass_identity(stranger, renewal, IDENTITY | {"numero_etranger": "2101234567"})
    assert "Aucun créneau n’est disponible" in slot_queries(stranger)[0]
    assert f'value="{slot.pk}"' in slot_queries(client)[0]


def test_the_cached_slot_list_keeps_each_language(renewal, title):
    monday = timezone.localtime(timezone.now() + timedelta(days=7))
    monday -= timedelta(days=monday.weekday())
    SlotFactory(procedure=renewal, starts_at=monday.replace(hour=9, minute=0))
    french, english = Client(), Client()
    pass_identity(french, renewal)
    english.post(
        "/en/rendez-vous/", {"situation": "titre_sejour", "procedure": renewal.pk}
    )
    english.post("/en/rendez-vous/identite/", IDENTITY)
    assert "Lundi" in html(french.get("/rendez-vous/creneaux/"))
    page = html(english.get("/en/rendez-vous/creneaux/"))
    assert "Monday" in page and "Lundi" not in page


@pytest.mark.parametrize(
    "kind", ["other-procedure", "past", "unknown", "garbage", "full"]
)
def test_a_slot_that_is_not_open_gives_a_message_and_the_list_again(
    client, renewal, slot, title, kind
):
    choice = {
        "other-procedure": lambda: SlotFactory().pk,
        "past": lambda: (
            SlotFactory(
                procedure=renewal, starts_at=timezone.now() - timedelta(days=1)
            ).pk
        ),
        "unknown": lambda: 987654,
        "garbage": lambda: "1 OR 1=1",
        "full": lambda: BookingFactory(slot=SlotFactory(procedure=renewal)).slot.pk,
    }[kind]()
    pass_identity(client, renewal)
    response = client.post("/rendez-vous/creneaux/", {"slot": choice}, follow=True)
    page = html(response)
    assert response.status_code == 200
    assert "fr-alert--error" in page
    assert f'value="{slot.pk}"' in page  # the list again
    assert not Hold.objects.exists()


# --- details and confirmation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mobile", "01 23 45 67 89", "téléphone fixe"),
        ("mobile", "12", "n’est pas valide"),
        ("mobile", "", "Saisissez votre numéro de téléphone portable"),
        ("email", "awa@", "adresse électronique n’est pas valide"),
        ("last_name", "", "Saisissez votre nom"),
        ("last_name", "x" * 81, "au plus 80 caractères"),
    ],
)
def test_contact_errors_keep_everything_typed_correctly(
    client, renewal, slot, title, field, value, message
):
    hold(client, renewal, slot)
    page = html(client.post("/rendez-vous/coordonnees/", {**CONTACT, field: value}))
    assert message in page
    for other, typed in CONTACT.items():
        if other != field:
            assert f'value="{typed}"' in page
    assert not Booking.objects.exists()


def test_overseas_and_foreign_mobiles_are_accepted(client, renewal, slot, title):
    hold(client, renewal, slot)
    client.post("/rendez-vous/coordonnees/", {**CONTACT, "mobile": "0690 12 34 56"})
    assert Booking.objects.get().mobile == "+590690123456"


def test_honeypot_refuses_without_losing_input(client, renewal, slot, title):
    hold(client, renewal, slot)
    page = html(client.post("/rendez-vous/coordonnees/", {**CONTACT, "website": "x"}))
    assert "n’a pas pu être traitée" in page
    assert 'value="Diallo"' in page
    assert not Booking.objects.exists()


def test_slot_taken_meanwhile_sends_back_to_the_list_with_a_message(
    client, renewal, title, settings
):
    slot = SlotFactory(procedure=renewal, capacity=1)
    other = SlotFactory(
        procedure=renewal, starts_at=slot.starts_at + timedelta(hours=1)
    )
    hold(client, renewal, slot)
    Hold.objects.all().delete()  # our hold expired, and someone booked the place
    BookingFactory(slot=slot)
    response = client.post("/rendez-vous/coordonnees/", CONTACT, follow=True)
    page = html(response)
    assert "Ce créneau vient d’être pris" in page
    assert f'value="{other.pk}"' in page
    assert Booking.objects.count() == 1


def test_booking_twice_in_two_tabs_gives_one_booking(renewal, title):
    first_slot = SlotFactory(procedure=renewal)
    second_slot = SlotFactory(
        procedure=renewal, starts_at=first_slot.starts_at + timedelta(hours=2)
    )
    tab_one, tab_two = Client(), Client()
    hold(tab_one, renewal, first_slot)
    hold(tab_two, renewal, second_slot)
    tab_one.post("/rendez-vous/coordonnees/", CONTACT)
    page = html(tab_two.post("/rendez-vous/coordonnees/", CONTACT))
    assert "Vous avez déjà un rendez-vous" in page
    assert Booking.objects.count() == 1


def test_confirmation_page_is_only_for_the_session_that_booked(
    client, renewal, slot, title
):
    hold(client, renewal, slot)
    client.post("/rendez-vous/coordonnees/", CONTACT)
    assert Client().get("/rendez-vous/confirme/").status_code == 404


def test_english_flow(client, renewal, slot, title):
    page = html(client.get("/en/rendez-vous/"))
    assert '<html lang="en"' in page
    client.post(
        "/en/rendez-vous/", {"situation": "titre_sejour", "procedure": renewal.pk}
    )
    client.post("/en/rendez-vous/identite/", IDENTITY)
    client.post("/en/rendez-vous/creneaux/", {"slot": slot.pk})
    client.post("/en/rendez-vous/coordonnees/", CONTACT)
    assert Booking.objects.get().language == "en"


def test_confirmation_attempts_are_rate_limited(client, renewal, slot, title, settings):
    settings.BOOKING_CONFIRM_LIMITS = {"session": 2, "ip": 100, "no_proof_ip": 100}
    hold(client, renewal, slot)
    for _ in range(2):
        client.post("/rendez-vous/coordonnees/", {**CONTACT, "mobile": "12"})
    page = html(client.post("/rendez-vous/coordonnees/", CONTACT))
    assert "Trop de demandes" in page and 'value="Diallo"' in page
    assert not Booking.objects.exists()


def test_a_slot_deleted_while_the_applicant_types_sends_back_to_the_list(
    client, renewal, slot, title
):
    hold(client, renewal, slot)
    Slot.objects.filter(pk=slot.pk).delete()  # its hold goes with it
    response = client.post("/rendez-vous/coordonnees/", CONTACT)
    assert response.status_code == 302
    assert response["Location"] == "/rendez-vous/creneaux/"
    assert not Booking.objects.exists()
    page = client.get("/rendez-vous/creneaux/").content.decode()
    assert "Ce créneau vient d’être pris" in page
