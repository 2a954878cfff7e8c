"""The upload pages in Chromium, as an agent uses them: an Excel workbook uploaded,
its preview, the confirmation and the result, at 1280 px and on a counter tablet
(375 px), in French and English; a large file's progress, followed by the page's
script, and without JavaScript by reloading the page."""

import io

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook
from playwright.sync_api import expect

from booking.models import Card, ImportJob, OutgoingMessage
from booking.services.imports import import_job_work
from tests.agents import login_agent
from tests.e2e.conftest import assert_no_serious_axe_violations
from tests.factories import SiteFactory

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 375, "height": 812}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def agent_cookie(live_server, django_user_model, language: str = "fr") -> list[dict]:
    user = django_user_model.objects.create_user(
        f"instructeur-{language}", password="x" * 16, is_staff=True, is_superuser=True
    )
    client = login_agent(Client(), user)
    cookies = [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        }
    ]
    if language != "fr":
        cookies.append(
            {"name": "django_language", "value": language, "url": live_server.url}
        )
    return cookies


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url}: {width} px wide"


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["1280", "375"])
def test_an_excel_delivery_list_previewed_then_confirmed(
    page, live_server, django_user_model, viewport
):
    SiteFactory(name="Orléans")
    page.context.add_cookies(agent_cookie(live_server, django_user_model))
    page.set_viewport_size(viewport)
    data = workbook(
        [
            ["numero_etranger", "nom", "prenom", "telephone", "site"],
            [4598765432, "Diallo", "Awa", 612345678, "Orléans"],
            [12, "X", "Y", 612345679, None],
        ]
    )

    page.goto("/admin/booking/card/livraison/")
    no_horizontal_scroll(page)
    assert_no_serious_axe_violations(page)
    page.get_by_label("Fichier CSV ou Excel (.xlsx)").set_input_files(
        {"name": "livraison.xlsx", "mimeType": XLSX, "buffer": data}
    )
    page.get_by_role("button", name="Lire le fichier (rien n’est écrit)").click()

    expect(page.locator("h2")).to_contain_text("rien n’est encore écrit")
    expect(page.get_by_text("Classeur Excel (.xlsx) lu")).to_be_visible()
    expect(page.get_by_text("Ligne 3 : numero_etranger")).to_be_visible()
    assert not Card.objects.exists()
    no_horizontal_scroll(page)
    assert_no_serious_axe_violations(page)
    confirm = page.get_by_role(
        "button", name="Confirmer : marquer disponibles et envoyer les SMS"
    )
    box = confirm.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    confirm.click()

    expect(page.locator("h2")).to_have_text("Résultat")
    row = page.get_by_role("row", name="Titres marqués disponibles (un SMS chacun)")
    expect(row).to_contain_text("1")
    assert Card.objects.get().status == Card.Status.READY
    assert OutgoingMessage.objects.count() == 1
    no_horizontal_scroll(page)
    assert_no_serious_axe_violations(page)


def test_the_register_upload_in_english_refuses_a_file_without_its_columns(
    page, live_server, django_user_model
):
    page.context.add_cookies(agent_cookie(live_server, django_user_model, "en"))
    page.goto("/admin/booking/titlerecord/importer/")
    page.get_by_label("CSV or Excel (.xlsx) file").set_input_files(
        {"name": "r.csv", "mimeType": "text/csv", "buffer": b"nom;prenom\nA;B\n"}
    )
    page.get_by_role("button", name="Read the file (nothing is written)").click()
    expect(page.locator(".errornote")).to_contain_text("could not be read")
    field = page.get_by_label("CSV or Excel (.xlsx) file")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert_no_serious_axe_violations(page)


def queued_register_job() -> ImportJob:
    """A large file the worker has not started yet (nothing publishes it here)."""
    return ImportJob.objects.create(
        kind=ImportJob.Kind.REGISTER,
        filename="registre.csv",
        created_by="instructeur",
        data=b"numero_etranger,date_validite,code_postal,type_titre\n"
        b"208006503,2028-03-31,45000,aps\n",
    )


def test_the_progress_page_moves_on_by_itself_when_the_worker_is_done(
    page, live_server, django_user_model
):
    job = queued_register_job()
    page.context.add_cookies(agent_cookie(live_server, django_user_model))
    page.goto(f"/admin/booking/titlerecord/importer/{job.pk}/")
    expect(page.locator("#import-status")).to_have_text("analyse en attente")
    expect(page.locator("progress#import-bar")).to_be_visible()
    assert_no_serious_axe_violations(page)
    import_job_work(job_id=job.pk, now=timezone.now())  # the worker
    # The page's script sees the job move on and shows the preview.
    expect(page.locator("h2")).to_contain_text("rien n’est encore écrit", timeout=8000)
    expect(page.get_by_role("button", name="Confirmer l’import")).to_be_visible()


def test_without_javascript_the_progress_page_is_reloaded_by_its_link(
    browser, live_server, django_user_model, transactional_db
):
    job = queued_register_job()
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", java_script_enabled=False
    )
    try:
        context.add_cookies(agent_cookie(live_server, django_user_model))
        page = context.new_page()
        page.set_viewport_size(TABLET)
        page.goto(f"/admin/booking/titlerecord/importer/{job.pk}/")
        expect(page.locator("#import-status")).to_have_text("analyse en attente")
        no_horizontal_scroll(page)
        import_job_work(job_id=job.pk, now=timezone.now())
        page.get_by_role("link", name="Mettre à jour la page").click()
        expect(page.locator("#import-status")).to_have_text("aperçu prêt, à confirmer")
        page.get_by_role("button", name="Confirmer l’import").click()
        expect(page.locator("h2")).to_have_text("Résultat")
        row = page.get_by_role("row", name="Titres nouveaux")
        expect(row).to_contain_text("1")
    finally:
        context.close()
