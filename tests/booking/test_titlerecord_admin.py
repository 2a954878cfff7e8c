"""A register line typed in the admin is checked and written as the import writes
it (found by the agents' walk: "45 12 345 999" was cut to "45 12 345", a landline
and "=HYPERLINK" were stored, and the applicant could never match the line)."""

import pytest

from booking.models import TitleRecord

pytestmark = pytest.mark.django_db

ADD = "/admin/booking/titlerecord/add/"


def typed(**values) -> dict:
    return {
        "numero_etranger": "45 12 345 678",
        "valid_until": "30/06/2027",
        "postal_code": "45 100",
        "title_type": "carte_sejour",
        "mobile": "06 12 34 56 78",
    } | values


def test_a_line_typed_as_printed_is_stored_as_the_import_stores_it(admin_client):
    response = admin_client.post(ADD, typed())
    assert response.status_code == 302
    record = TitleRecord.objects.get()
    assert (record.numero_etranger, record.postal_code, record.mobile) == (
        "4512345678",
        "45100",
        "+33612345678",
    )


def test_a_pre_2017_numero_gets_its_0(admin_client):
    admin_client.post(ADD, typed(numero_etranger="208 006 503", mobile=""))
    assert TitleRecord.objects.get().numero_etranger == "2008006503"


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("numero_etranger", "45 12 345 999 1", "Numéro étranger invalide"),
        ("numero_etranger", "=HYPERLINK(1)", "Numéro étranger invalide"),
        ("postal_code", "=HYPE", "Code postal invalide"),
        ("postal_code", "4510", "Code postal invalide"),
        ("mobile", "01 45 67 89 01", "numéro de téléphone fixe"),
    ],
)
def test_a_wrong_value_is_refused_with_its_reason(admin_client, field, value, words):
    response = admin_client.post(ADD, typed(**{field: value}))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not TitleRecord.objects.exists()


def test_the_same_numero_in_another_notation_is_a_duplicate(admin_client):
    admin_client.post(ADD, typed())
    response = admin_client.post(ADD, typed(numero_etranger="4512345678"))
    assert response.status_code == 200
    assert TitleRecord.objects.count() == 1
