"""The waiting list in the agents' admin: the list (positions, words, fixed query
count) as each role sees it, the actions with their reasons, the request's page
(offers and trail in words), and the démarche's mode in its change form."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from booking import rules, selectors, services
from booking.models import (
    OutgoingMessage,
    Procedure,
    Slot,
    WaitingEvent,
    WaitingMode,
    WaitingOffer,
    WaitingRequest,
)
from tests.agents import login_role
from tests.clock import PARIS
from tests.factories import (
    ProcedureFactory,
    SiteFactory,
    SlotFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/booking/waitingrequest/"
Status = WaitingRequest.Status


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL


@pytest.fixture
def agent(client):
    return lambda role: login_role(client, role)


def change_url(request: WaitingRequest) -> str:
    return f"{LIST_URL}{request.pk}/change/"


def test_positions_are_those_the_status_page_gives(admin_client):
    """Same slots (a démarche and the one that books its slots), a site in common,
    urgency order with ties; requests that left the list have no position."""
    owner = ProcedureFactory()
    sharing = ProcedureFactory(booking_procedure=owner)
    other = ProcedureFactory()
    north, south = SiteFactory(), SiteFactory()
    joined = timezone.now() - timedelta(days=3)
    made = [
        WaitingRequestFactory(
            procedure=owner, sites=[north], title_valid_until=date(2027, 3, 1)
        ),
        WaitingRequestFactory(
            procedure=sharing, sites=[north, south], title_valid_until=date(2027, 1, 1)
        ),
        WaitingRequestFactory(
            procedure=owner, sites=[south], title_valid_until=date(2026, 12, 1)
        ),
        # Ties on the date and the moment of joining: the id decides.
        WaitingRequestFactory(
            procedure=owner,
            sites=[north],
            title_valid_until=date(2027, 3, 1),
            joined_at=joined,
        ),
        WaitingRequestFactory(
            procedure=owner,
            sites=[north],
            title_valid_until=date(2027, 3, 1),
            joined_at=joined,
        ),
        WaitingRequestFactory(
            procedure=owner,
            sites=[north],
            title_valid_until=date(2028, 1, 1),
            priority=WaitingRequest.Priority.URGENT,
            status=Status.OFFERED,
        ),
        WaitingRequestFactory(procedure=other, sites=[north]),
    ]
    gone = WaitingRequestFactory(procedure=owner, sites=[north], status=Status.BOOKED)

    page = admin_client.get(LIST_URL)

    shown = {row.pk: row for row in page.context["cl"].result_list}
    admin = page.context["cl"].model_admin
    for request in made:
        expected = selectors.waiting_place(request).position
        assert admin.position(shown[request.pk]) == str(expected), request.pk
    assert admin.position(shown[gone.pk]) == "—"
    # The urgent one comes first; the sharing démarche's request competes in both
    # sites: after the urgent one (north) and the earliest title (south).
    assert admin.position(shown[made[5].pk]) == "1"
    assert admin.position(shown[made[1].pk]) == "3"
    assert admin.position(shown[made[6].pk]) == "1"  # another démarche's list


def test_the_list_writes_preferences_in_words_and_masks_the_numero(agent):
    north = SiteFactory(name="Orléans")
    south = SiteFactory(name="Montargis")
    request = WaitingRequestFactory(
        sites=[north, south],
        numero_etranger="4512345678",
        unavailable_half_days=0b1000000001,  # Monday morning, Friday afternoon
        priority=WaitingRequest.Priority.HIGH,
        priority_reason="titre expiré, emploi menacé",
    )
    page = agent("accueil").get(LIST_URL).content.decode()
    assert "lundi matin, vendredi après-midi" in page
    assert "Orléans" in page and "Montargis" in page
    assert "45*****678" in page and "4512345678" not in page
    assert "prioritaire : titre expiré, emploi menacé" in page
    assert request.token not in page


@pytest.mark.parametrize("role", ["accueil", "instruction", "encadrement"])
def test_the_list_costs_the_same_queries_for_any_length(agent, role):
    """Pinned: the session, agent, second factor and permissions (5), the
    démarche and site filters (2), the counts (2), the page and its sites (2), the
    joining dates (2), the session's save (3)."""
    client = agent(role)
    procedure = ProcedureFactory()
    site = SiteFactory()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST_URL).status_code == 200
        return len(captured)

    WaitingRequestFactory(procedure=procedure, sites=[site])
    few = queries()
    for n in range(15):
        request = WaitingRequestFactory(
            procedure=procedure, sites=[site, SiteFactory()], status=Status.OFFERED
        )
        WaitingOffer.objects.create(
            request=request,
            slot=SlotFactory(
                procedure=procedure,
                site=site,
                starts_at=timezone.now() + timedelta(days=3, hours=n),
            ),
            offered_at=timezone.now(),
            expires_at=timezone.now() + timedelta(hours=n + 1),
        )
    assert queries() == few
    assert few == 16


def test_accueil_and_instruction_read_but_cannot_act(agent):
    request = WaitingRequestFactory(sites=[SiteFactory()])
    for role in ("accueil", "instruction"):
        client = agent(role)
        listing = client.get(LIST_URL).content.decode()
        assert "give_priority" not in listing and "remove_from_list" not in listing
        assert client.get(change_url(request)).status_code == 200
        client.post(
            LIST_URL,
            {
                "action": "remove_from_list",
                "_selected_action": [request.pk],
                "apply": "1",
                "reason": "essai",
            },
        )
        request.refresh_from_db()
        assert request.status == Status.WAITING
        assert client.get(f"{LIST_URL}add/").status_code == 403
        assert client.get(f"{LIST_URL}{request.pk}/delete/").status_code == 403
        client.logout()


def test_the_request_page_is_read_only_even_for_encadrement(agent):
    request = WaitingRequestFactory(sites=[SiteFactory()], last_name="Diallo")
    client = agent("encadrement")
    page = client.get(change_url(request)).content.decode()
    assert request.numero_etranger in page  # in full on the person's page
    assert request.token not in page
    assert 'name="last_name"' not in page and 'name="_save"' not in page
    client.post(change_url(request), {"last_name": "Autre", "status": "booked"})
    request.refresh_from_db()
    assert (request.last_name, request.status) == ("Diallo", Status.WAITING)


def test_give_priority_asks_a_level_and_a_reason_then_keeps_the_history(agent):
    first = WaitingRequestFactory(sites=[SiteFactory()])
    second = WaitingRequestFactory(sites=[SiteFactory()])
    client = agent("encadrement")
    chosen = {"action": "give_priority", "_selected_action": [first.pk, second.pk]}

    form = client.post(LIST_URL, chosen)
    assert form.status_code == 200
    assert "Motif" in form.content.decode() and "urgente" in form.content.decode()

    refused = client.post(
        LIST_URL, {**chosen, "apply": "1", "level": "2", "reason": "   "}
    )
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert not WaitingEvent.objects.filter(kind=WaitingEvent.Kind.PRIORITY).exists()

    done = client.post(
        LIST_URL,
        {**chosen, "apply": "1", "level": "2", "reason": "titre perdu"},
        follow=True,
    )
    assert "Priorité donnée à 2 demandes." in done.content.decode()
    first.refresh_from_db()
    assert (first.priority, first.priority_reason) == (2, "titre perdu")

    client.post(
        LIST_URL,
        {
            "action": "clear_priority",
            "_selected_action": [first.pk],
            "apply": "1",
            "reason": "titre retrouvé",
        },
    )
    first.refresh_from_db()
    assert first.priority == 0
    trail = list(
        first.events.filter(kind=WaitingEvent.Kind.PRIORITY).values_list(
            "actor", "detail"
        )
    )
    assert trail == [
        ("agent-encadrement", {"from": 0, "to": 2, "reason": "titre perdu"}),
        ("agent-encadrement", {"from": 2, "to": 0, "reason": "titre retrouvé"}),
    ]
    page = client.get(change_url(first)).content.decode()
    assert "priorité : aucune → urgente ; motif : titre perdu" in page
    assert "priorité : urgente → aucune ; motif : titre retrouvé" in page
    assert "&quot;reason&quot;" not in page and '"reason"' not in page


def test_clearing_a_priority_nobody_has_is_reported(agent):
    request = WaitingRequestFactory(sites=[SiteFactory()], last_name="Martin")
    page = agent("encadrement").post(
        LIST_URL,
        {
            "action": "clear_priority",
            "_selected_action": [request.pk],
            "apply": "1",
            "reason": "erreur",
        },
        follow=True,
    )
    expected = f"Martin (demande n° {request.pk}) : aucune priorité à retirer."
    assert expected in page.content.decode()
    assert not request.events.exists()


def test_removal_sends_the_sms_and_reports_requests_no_longer_on_the_list(
    agent, django_capture_on_commit_callbacks
):
    site = SiteFactory()
    live = WaitingRequestFactory(sites=[site], mobile="+33611223344")
    gone = WaitingRequestFactory(sites=[site], status=Status.WITHDRAWN, last_name="Ba")
    # The page names only what is still on the list (found by the agents' walk:
    # it named booked requests and said each would get an SMS).
    client = agent("encadrement")
    asked = client.post(
        LIST_URL,
        {"action": "remove_from_list", "_selected_action": [live.pk, gone.pk]},
    )
    assert f"n° {live.pk}<" in asked.content.decode()
    assert f"n° {gone.pk}<" not in asked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            LIST_URL,
            {
                "action": "remove_from_list",
                "_selected_action": [live.pk, gone.pk],
                "apply": "1",
                "reason": "doublon de dossier",
            },
            follow=True,
        )
    html = page.content.decode()
    assert "1 demande retirée de la liste." in html
    live.refresh_from_db()
    assert live.status == Status.REMOVED
    sms = OutgoingMessage.objects.get(waiting_request=live)
    assert (sms.kind, sms.to) == (OutgoingMessage.Kind.WAITING_REMOVED, live.mobile)
    assert not OutgoingMessage.objects.filter(waiting_request=gone).exists()
    event = live.events.get(kind=WaitingEvent.Kind.REMOVED)
    assert (event.actor, event.detail) == (
        "agent-encadrement",
        {"reason": "doublon de dossier"},
    )


def test_a_reason_too_long_or_with_a_nul_byte_gives_no_500(agent):
    request = WaitingRequestFactory(sites=[SiteFactory()])
    client = agent("encadrement")
    chosen = {"action": "remove_from_list", "_selected_action": [request.pk]}
    long = client.post(LIST_URL, {**chosen, "apply": "1", "reason": "x" * 301})
    assert long.status_code == 200 and "errorlist" in long.content.decode()
    nul = client.post(LIST_URL, {**chosen, "apply": "1", "reason": "a\x00b"})
    assert nul.status_code == 400  # refused at the edge (prefecture/middleware.py)
    request.refresh_from_db()
    assert request.status == Status.WAITING


def test_the_request_page_shows_offers_and_trail_in_words_in_paris_time(agent, renewal):
    site = SiteFactory(name="Orléans")
    day = timezone.localdate() + timedelta(days=5)
    # 9:30 in Paris (7:30 or 8:30 UTC).
    SlotFactory(
        procedure=renewal,
        site=site,
        starts_at=datetime(day.year, day.month, day.day, 9, 30, tzinfo=PARIS),
    )
    request = WaitingRequestFactory(procedure=renewal, sites=[site])
    now = timezone.now()
    services.offers_make(procedure_id=renewal.pk, now=now)
    offer = request.offers.get()
    services.offer_decline(offer_id=offer.pk, now=now)
    page = agent("accueil").get(change_url(request)).content.decode()
    place = f"Orléans, {date_format(day, 'j F Y')} 09:30"
    assert place in page  # the offers' inline
    assert "refusée" in page  # the offer's status
    assert "offre refusée" in page  # the trail's kind
    assert f"place : {place}" in page
    assert offer.token not in page
    assert "&quot;offer&quot;" not in page


# --- the démarche's mode in its change form


def procedure_form(procedure: Procedure, **changes) -> dict:
    data = {
        "name_fr": procedure.name_fr,
        "name_en": procedure.name_en,
        "slug": procedure.slug,
        "channel": procedure.channel,
        "external_url": procedure.external_url,
        "booking_procedure": procedure.booking_procedure_id or "",
        "position": procedure.position,
        "is_active": "on",
        "duration_minutes": procedure.duration_minutes,
        "min_notice_hours": procedure.min_notice_hours,
        "max_horizon_days": procedure.max_horizon_days,
        "instructions_fr": procedure.instructions_fr,
        "instructions_en": procedure.instructions_en,
        "waiting_mode": procedure.waiting_mode,
        "waiting_share": procedure.waiting_share,
    }
    return {**data, **changes}


def procedure_url(procedure: Procedure) -> str:
    return f"/admin/booking/procedure/{procedure.pk}/change/"


def test_mode_set_in_the_change_form_flags_future_slots(agent):
    procedure = ProcedureFactory()
    start = timezone.now() + timedelta(days=2)
    for n in range(4):
        SlotFactory(procedure=procedure, starts_at=start + timedelta(hours=n))
    client = agent("encadrement")
    response = client.post(
        procedure_url(procedure),
        procedure_form(procedure, waiting_mode="mixte", waiting_share="50"),
    )
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert (procedure.waiting_mode, procedure.waiting_share) == ("mixte", 50)
    assert Slot.objects.filter(procedure=procedure, via_list=True).count() == 2
    listing = client.get("/admin/booking/procedure/").content.decode()
    assert "mixte (50 % pour la liste)" in listing

    client.post(
        procedure_url(procedure), procedure_form(procedure, waiting_mode="liste")
    )
    procedure.refresh_from_db()
    assert (procedure.waiting_mode, procedure.waiting_share) == ("liste", 0)
    assert not Slot.objects.filter(procedure=procedure, via_list=False).exists()


@pytest.mark.parametrize("share", ["0", "", "101", "99999999999999999999"])
def test_mixte_without_a_share_between_1_and_100_is_refused(agent, share):
    procedure = ProcedureFactory()
    response = agent("encadrement").post(
        procedure_url(procedure),
        procedure_form(procedure, waiting_mode="mixte", waiting_share=share),
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.waiting_mode == WaitingMode.DIRECT


def test_a_demarche_booking_another_s_slots_keeps_libre_choix(agent):
    owner = ProcedureFactory(name_fr="Renouvellement")
    sharing = ProcedureFactory(booking_procedure=owner)
    response = agent("encadrement").post(
        procedure_url(sharing), procedure_form(sharing, waiting_mode="liste")
    )
    assert "prend les créneaux de « Renouvellement »" in response.content.decode()
    sharing.refresh_from_db()
    assert sharing.waiting_mode == WaitingMode.DIRECT


def test_accueil_cannot_change_the_mode(agent):
    procedure = ProcedureFactory()
    agent("accueil").post(
        procedure_url(procedure), procedure_form(procedure, waiting_mode="liste")
    )
    procedure.refresh_from_db()
    assert procedure.waiting_mode == WaitingMode.DIRECT


def test_a_slot_added_by_hand_to_a_liste_demarche_goes_to_the_list_first(
    admin_client, django_capture_on_commit_callbacks
):
    site = SiteFactory()
    procedure = ProcedureFactory()
    services.procedure_waiting_mode_set(
        procedure_id=procedure.pk, mode="liste", now=timezone.now()
    )
    waiting = WaitingRequestFactory(procedure=procedure, sites=[site])
    starts = timezone.localtime() + timedelta(days=4)
    while rules.public_holiday_name(starts.date()):  # no slot then (the admin refuses)
        starts += timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/booking/slot/add/",
            {
                "site": site.pk,
                "procedure": procedure.pk,
                "starts_at_0": starts.strftime("%d/%m/%Y"),
                "starts_at_1": "10:00:00",
                "ends_at_0": starts.strftime("%d/%m/%Y"),
                "ends_at_1": "10:30:00",
                "capacity": 1,
                "published_at_0": timezone.localtime().strftime("%d/%m/%Y"),
                "published_at_1": "00:00:00",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    slot = Slot.objects.get(procedure=procedure)
    assert slot.via_list  # never shown for self-service
    assert waiting.offers.get().slot == slot  # and offered at once


def test_removing_only_requests_off_the_list_says_nothing_changed(agent):
    gone = WaitingRequestFactory(sites=[SiteFactory()], status=Status.BOOKED)
    page = agent("encadrement").post(
        LIST_URL,
        {"action": "remove_from_list", "_selected_action": [gone.pk]},
        follow=True,
    )
    assert "Aucune demande encore sur la liste parmi celles choisies" in (
        page.content.decode()
    )
    gone.refresh_from_db()
    assert gone.status == Status.BOOKED


def test_a_reason_of_300_characters_with_line_breaks_is_taken(agent):
    """Found by the agents' walk: the browser counts a line break once, the form
    sent it as CR LF, and 300 characters typed were refused as 301."""
    request = WaitingRequestFactory(sites=[SiteFactory()])
    reason = "a" * 149 + "\r\n" + "b" * 150  # 300 characters in the textarea
    page = agent("encadrement").post(
        LIST_URL,
        {
            "action": "remove_from_list",
            "_selected_action": [request.pk],
            "apply": "1",
            "reason": reason,
        },
        follow=True,
    )
    assert "1 demande retirée de la liste." in page.content.decode()
    request.refresh_from_db()
    assert request.status == Status.REMOVED


def test_the_list_gives_the_offers_in_one_column_of_words(agent, renewal):
    """Found by the agents' walk: four columns of counts pushed the status and the
    priority off a 1280-pixel screen."""
    site = SiteFactory()
    request = WaitingRequestFactory(procedure=renewal, sites=[site])
    SlotFactory(procedure=renewal, site=site)
    services.offers_make(procedure_id=renewal.pk, now=timezone.now())
    services.offer_decline(offer_id=request.offers.get().pk, now=timezone.now())
    page = agent("accueil").get(LIST_URL).content.decode()
    assert "1 envoyée, 1 refusée" in page
    assert "column-offers_words" in page and "column-offers_declined" not in page


def test_the_english_admin_says_appointments_in_the_plural(agent):
    client = agent("accueil")
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    page = client.get("/admin/").content.decode()
    link = re.search(r'<a href="/admin/booking/booking/"[^>]*>([^<]*)</a>', page)
    assert link and link.group(1) == "Appointments"
