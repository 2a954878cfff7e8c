"""The waiting list in a real browser, with axe-core on every page, on a phone's
width and a desktop's: join from an empty slot list, the offer's SMS link, accept,
the confirmation; and the status page behind its one-time code. E2E_SCREENSHOTS=DIR
saves a screenshot of each page at each width there."""

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking import services
from booking.manage_links import manage_path
from booking.models import (
    Booking,
    OutgoingMessage,
    WaitingMode,
    WaitingOffer,
    WaitingRequest,
)
from booking.waiting_links import offer_path
from tests.e2e.conftest import assert_no_serious_axe_violations
from tests.factories import (
    BookingFactory,
    ProcedureFactory,
    SiteFactory,
    SlotFactory,
    TitleRecordFactory,
    WaitingRequestFactory,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def renewal(page, settings):
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL  # offers go out at any hour
    procedure = ProcedureFactory(
        slug="renouvellement", name_fr="Renouvellement de titre"
    )
    SiteFactory(name="Préfecture du Loiret — Orléans")
    SiteFactory(name="Sous-préfecture de Montargis")
    TitleRecordFactory(
        numero_etranger="2008006503", valid_until=date(2028, 3, 31), postal_code="45000"
    )
    return procedure


# Where to save a screenshot of each page at each width, to look at (optional).
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")


def check(page, name: str) -> None:
    """axe on the page at a phone's width and a desktop's (and the screenshots)."""
    for label, size in (("375", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(size)
        assert_no_serious_axe_violations(page)
        if SCREENSHOTS:
            path = Path(SCREENSHOTS) / f"waiting-{name}-{label}.png"
            page.screenshot(path=path, full_page=True)
    page.set_viewport_size(PHONE)


def pass_the_register_check(page, *, complet: bool = True) -> None:
    """Gate and identity step. With nothing free (``complet``), the gate says so at
    once and leads to the identity step for the waiting list."""
    page.goto("/rendez-vous/")
    page.locator("label", has_text="J’ai un titre de séjour").click()
    page.get_by_label("Votre démarche").select_option(label="Renouvellement de titre")
    page.get_by_role("button", name="Continuer").click()
    if complet:  # said at once, the identity step's form on the same page
        expect(page.get_by_text("Aucun créneau n’est disponible")).to_be_visible()
        check(page, "gate-complet")
    page.get_by_role("textbox", name="Numéro étranger").fill("2008006503")
    page.get_by_role("textbox", name="Date de validité").fill("31/03/2028")
    page.get_by_role("textbox", name="Code postal").fill("45000")
    page.get_by_role("button", name="Vérifier et continuer").click()
    expect(page).to_have_url("/rendez-vous/creneaux/")


def join(page) -> None:
    """From the slot step: the join page, filled in and sent."""
    page.get_by_role("link", name="M'inscrire sur la liste d'attente").click()
    expect(page).to_have_url("/rendez-vous/liste-attente/")
    proof = page.locator('altcha-widget input[name="proof"]')
    expect(proof).to_have_value(re.compile(".+"), timeout=15_000)
    check(page, "join")
    sites = page.get_by_role("group", name=re.compile("Lieux où vous pouvez"))
    expect(sites.get_by_role("checkbox")).to_have_count(2)
    for box in sites.get_by_role("checkbox").all():
        expect(box).to_be_checked()
    page.get_by_text("Sous-préfecture de Montargis").click()  # not there
    page.get_by_text("mercredi après-midi").click()  # nor then
    page.get_by_role("textbox", name="Nom", exact=True).fill("Diallo")
    page.get_by_role("textbox", name="Prénom").fill("Awa")
    page.get_by_role("textbox", name="Téléphone portable").fill("06 12 34 56 78")
    page.get_by_role("button", name="M'inscrire sur la liste d'attente").click()


def test_join_then_accept_the_offer_from_its_sms_link(page, renewal):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size(PHONE)
    pass_the_register_check(page)
    expect(page.get_by_text("Aucun créneau n’est disponible")).to_be_visible()
    check(page, "slots-empty")
    join(page)

    expect(page).to_have_url("/rendez-vous/liste-attente/inscrit/")
    expect(
        page.get_by_role("heading", name="Vous êtes inscrit(e) sur la liste d'attente")
    ).to_be_visible()
    expect(page.get_by_text("06 •• •• •• 78")).to_be_visible()
    check(page, "joined")
    request = WaitingRequest.objects.get()
    assert [s.name for s in request.sites.all()] == ["Préfecture du Loiret — Orléans"]
    assert request.unavailable_half_days == 1 << 5  # wednesday afternoon

    # A place opens (a Thursday morning: one the person can take) and the
    # allocator offers it.
    start = timezone.localtime() + timedelta(days=3)
    start += timedelta(days=(3 - start.weekday()) % 7)
    slot = SlotFactory(
        procedure=renewal,
        site=request.sites.get(),
        starts_at=start.replace(hour=9, minute=30, second=0, microsecond=0),
    )
    assert services.offers_make(procedure_id=renewal.pk, now=timezone.now()) == 1
    sms = OutgoingMessage.objects.get(kind=OutgoingMessage.Kind.WAITING_OFFER)
    path = re.search(r"https?://[^/\s]+(/o/[^\s]+/)", sms.body).group(1)

    page.goto(path)  # as the phone opens the SMS's link
    expect(
        page.get_by_role("heading", name="Une place vous est proposée")
    ).to_be_visible()
    # The slot's time alone: the offer's deadline (24 h from now) shows 09:30 too
    # when the test runs at 09:30 (Paris).
    expect(page.get_by_text("09:30", exact=True)).to_be_visible()
    expect(page.get_by_text("Diallo")).to_have_count(0)
    check(page, "offer")
    page.get_by_role("button", name="Accepter").click()

    expect(page).to_have_url("/rendez-vous/confirme/")
    booking = Booking.objects.get()
    assert booking.slot == slot
    expect(page.get_by_text("Référence", exact=True)).to_be_visible()
    expect(page.get_by_text(booking.reference)).to_be_visible()
    check(page, "done")
    assert WaitingOffer.objects.get().status == WaitingOffer.Status.ACCEPTED
    assert errors == []


def test_the_status_page_behind_its_code_and_withdrawing(page, renewal):
    page.set_viewport_size(PHONE)
    services.procedure_waiting_mode_set(
        procedure_id=renewal.pk, mode=WaitingMode.LIST, now=timezone.now()
    )
    pass_the_register_check(page, complet=False)
    expect(page.get_by_text("proposées par SMS")).to_be_visible()
    expect(page.locator('input[name="slot"]')).to_have_count(0)
    check(page, "slots-list-mode")
    join(page)
    expect(page).to_have_url("/rendez-vous/liste-attente/inscrit/")
    page.get_by_role("link", name="Suivre ma demande").click()

    expect(page.get_by_role("heading", name="Suivre ma demande")).to_be_visible()
    expect(page.get_by_text("Votre position", exact=True)).to_have_count(0)
    check(page, "code")
    page.get_by_role("button", name="Recevoir le code par SMS").click()
    expect(page.get_by_text("vient d’être envoyé par SMS")).to_be_visible()
    body = OutgoingMessage.objects.get(kind=OutgoingMessage.Kind.WAITING_CODE).body
    code = re.search(r"code (\d{6}) ", body).group(1)
    page.get_by_role("textbox", name="Code reçu par SMS").fill(code)
    page.get_by_role("button", name="Accéder à ma demande").click()

    expect(page.get_by_text("Votre position", exact=True)).to_be_visible()
    expect(page.get_by_text("En attente d'une place")).to_be_visible()
    expect(page.get_by_text("mercredi après-midi")).to_be_visible()
    check(page, "status")
    page.get_by_role("link", name="Me retirer de la liste").click()
    check(page, "withdraw")
    page.get_by_role("button", name="Oui, me retirer de la liste").click()
    expect(page.get_by_text("Vous n'êtes plus sur la liste d'attente")).to_be_visible()
    check(page, "ended")
    assert WaitingRequest.objects.get().status == WaitingRequest.Status.WITHDRAWN


def test_an_earlier_place_asked_from_the_manage_page(page, renewal):
    page.set_viewport_size(PHONE)
    later = SlotFactory(
        procedure=renewal,
        site=SiteFactory(name="Sous-préfecture de Pithiviers"),
        starts_at=timezone.now() + timedelta(days=30),
    )
    booking = BookingFactory(slot=later, numero_etranger="2008006503")
    page.goto(manage_path(booking))
    page.get_by_role("button", name="Recevoir le code par SMS").click()
    body = booking.messages.get(kind=OutgoingMessage.Kind.BOOKING_MANAGE_CODE).body
    code = re.search(r"code (\d{6}) ", body).group(1)
    page.get_by_role("textbox", name="Code reçu par SMS").fill(code)
    page.get_by_role("button", name="Accéder à mon rendez-vous").click()

    page.get_by_role("link", name="Me proposer une date plus proche").click()
    check(page, "earlier")
    page.get_by_role("button", name="Me proposer une date plus proche").click()
    expect(page.get_by_text("Vous attendez une date plus proche")).to_be_visible()
    check(page, "manage-waiting")
    request = WaitingRequest.objects.get()
    assert request.wants_earlier and request.booking == booking


def test_the_join_form_says_what_is_wrong_next_to_each_field(page, renewal):
    page.set_viewport_size(PHONE)
    pass_the_register_check(page)
    page.get_by_role("link", name="M'inscrire sur la liste d'attente").click()
    proof = page.locator('altcha-widget input[name="proof"]')
    expect(proof).to_have_value(re.compile(".+"), timeout=15_000)
    sites = page.get_by_role("group", name=re.compile("Lieux où vous pouvez"))
    for box in sites.get_by_role("checkbox").all():
        box.uncheck(force=True)  # the DSFR label covers the box
    half_days = page.get_by_role("group", name=re.compile("Demi-journées"))
    for box in half_days.get_by_role("checkbox").all():
        box.check(force=True)
    page.get_by_role("textbox", name="Prénom").fill("Awa")
    page.get_by_role("button", name="M'inscrire sur la liste d'attente").click()

    # Next to each field (the error summary at the top repeats them as links).
    beside = page.locator(".fr-error-text")
    expect(beside.filter(has_text="Cochez au moins un lieu")).to_be_visible()
    expect(beside.filter(has_text="exclure toutes les demi-journées")).to_be_visible()
    expect(beside.filter(has_text="Saisissez votre nom.")).to_be_visible()
    links = page.locator("#error-summary a")
    expect(links).to_have_count(4)
    assert [link.get_attribute("href") for link in links.all()] == [
        "#id_sites_0",
        "#id_unavailable_0",
        "#id_last_name",
        "#id_mobile",
    ]
    expect(page.get_by_role("textbox", name="Prénom")).to_have_value("Awa")
    check(page, "join-errors")
    assert not WaitingRequest.objects.exists()


def test_declining_an_offer(page, renewal):
    page.set_viewport_size(PHONE)
    site = SiteFactory(name="Sous-préfecture de Pithiviers")
    request = WaitingRequestFactory(procedure=renewal, sites=[site])
    SlotFactory(procedure=renewal, site=site)
    assert services.offers_make(procedure_id=renewal.pk, now=timezone.now()) == 1
    page.goto(offer_path(WaitingOffer.objects.get()))
    page.get_by_role("button", name="Refuser cette place").click()
    expect(page.get_by_role("heading", name="Refuser cette place ?")).to_be_visible()
    check(page, "decline")
    page.get_by_role("button", name="Oui, refuser cette place").click()
    expect(
        page.get_by_role("heading", name="Vous avez refusé cette place")
    ).to_be_visible()
    expect(page.get_by_text("Vous restez sur la liste d'attente")).to_be_visible()
    check(page, "declined")
    request.refresh_from_db()
    assert request.status == WaitingRequest.Status.WAITING
