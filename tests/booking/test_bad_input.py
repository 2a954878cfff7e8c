"""Whatever a person (or a bot) types in any field of the flow: never a 500."""

import pytest

from tests.booking.flow import CONTACT, IDENTITY, hold, pass_gate
from tests.factories import ProcedureFactory, SlotFactory, TitleRecordFactory

pytestmark = pytest.mark.django_db

NASTY = [
    "\x00",
    "x" * 100_000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "🙂🇫🇷",
    "\u202e\u200b",
    "%00",
    "-1",
    "1e309",
    "９９",  # full-width digits
    "1099511627776",  # 2**40: past an integer column, sent as it is to the database
    "4611686018427387904",  # 2**62, the largest slot number the form takes
]


@pytest.mark.parametrize("value", NASTY)
def test_no_field_of_the_flow_answers_500(client, value):
    procedure = ProcedureFactory(slug="renouvellement")
    slot = SlotFactory(procedure=procedure)
    TitleRecordFactory(numero_etranger="2008006503", valid_until="2028-03-31")
    # A control character is refused at the edge (prefecture/middleware.py).
    refused = "\x00" in value
    response = client.get("/api/v1/creneaux", {"demarche": value})
    assert response.status_code == (400 if refused else 404)
    response = client.post("/rendez-vous/", {"situation": value, "procedure": value})
    assert response.status_code == (400 if refused else 200)
    pass_gate(client, procedure)
    for field in IDENTITY:
        data = {**IDENTITY, field: value}
        response = client.post("/rendez-vous/identite/", data)
        assert response.status_code == (400 if refused else 200)
    client.post("/rendez-vous/identite/", IDENTITY)
    response = client.post("/rendez-vous/creneaux/", {"slot": value})
    assert response.status_code == (400 if refused else 200)
    hold(client, procedure, slot)
    for field in CONTACT:
        data = {**CONTACT, field: value}
        assert client.post("/rendez-vous/coordonnees/", data).status_code < 500
    response = client.get(f"/rendez-vous/gerer/{value[:2000]}/")
    assert response.status_code == (400 if refused or value == "%00" else 404)


# Bad bytes at every address: a control character is a 400, anything else a page.
CONTROL_VALUES = ["%00", "%01", "%7F", "%C2%85"]
ODD_VALUES = ["%C2%B2", "zzz", "99999999999999999999", "x" * 5000]
PUBLIC_PAGES = [
    "/",
    "/en/",
    "/faq/",
    "/accessibilite/",
    "/rendez-vous/",
    "/rendez-vous/identite/",
    "/rendez-vous/creneaux/",
    "/rendez-vous/coordonnees/",
    "/rendez-vous/confirme/",
    "/api/v1/creneaux",
    "/sante/",
]
PARAMS = ["status", "provider_id", "q", "site", "day"]


def _admin_lists() -> list[str]:
    from django.contrib import admin

    lists = [
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in admin.site._registry
    ]
    return [
        *lists,
        "/admin/booking/booking/agenda/",
        "/admin/booking/booking/statistiques/",
    ]


def _status_everywhere(client, value: str) -> set[int]:
    client.raise_request_exception = False
    codes = set()
    for page in [*PUBLIC_PAGES, *_admin_lists()]:
        for name in PARAMS:
            codes.add(client.get(f"{page}?{name}={value}").status_code)
    for path in (f"/rdv/{value}/", f"/rendez-vous/gerer/{value}/", f"/faq/{value}/"):
        codes.add(client.get(path).status_code)
    return codes


@pytest.mark.parametrize("value", CONTROL_VALUES)
def test_a_control_character_anywhere_is_a_400(admin_client, value):
    assert _status_everywhere(admin_client, value) == {400}


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_values_anywhere_are_never_a_500(admin_client, value):
    codes = _status_everywhere(admin_client, value)
    assert max(codes) < 500, codes


@pytest.mark.parametrize("site", ["²", "١", "９", "1" * 30, "-1", "1.0"])
def test_the_agenda_reads_a_site_in_ascii_digits_only(admin_client, site):
    response = admin_client.get("/admin/booking/booking/agenda/", {"site": site})
    assert response.status_code == 200
