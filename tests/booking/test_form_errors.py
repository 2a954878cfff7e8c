"""Form errors as the DSFR wants them: dates typed as people type them, a summary
first in the page that links to each field, "Erreur : " in the title, short messages
and numeric keyboards."""

import re
from datetime import date

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from booking import rules
from booking.forms import IdentityForm, NumeroEtrangerField, TypedDateField
from tests.booking.flow import IDENTITY, pass_gate, pass_identity

# How applicants type a date (the ISO form too), and the day it is.
TYPED_DATES = [
    ("31/12/2027", date(2027, 12, 31)),
    ("31122027", date(2027, 12, 31)),
    ("31-12-2027", date(2027, 12, 31)),
    ("31/12/27", date(2027, 12, 31)),
    ("2027-12-31", date(2027, 12, 31)),
    ("31.12.2027", date(2027, 12, 31)),
    ("31 12 2027", date(2027, 12, 31)),
    (" 31/12/2027 ", date(2027, 12, 31)),
    ("1/2/2027", date(2027, 2, 1)),
    ("010227", date(2027, 2, 1)),
]
NOT_A_DATE = [
    "abc",
    "31/12",
    "31/12-2027",
    "3112027",
    "2027/12/31",
    "٣١/١٢/٢٠٢٧",
    "31/12/202",
]
NO_SUCH_DAY = [
    "31/02/2027",
    "32/12/2027",
    "31/13/2027",
    "00/01/2027",
    "29022027",
    "2027-02-30",
]


@pytest.mark.parametrize(("typed", "day"), TYPED_DATES)
def test_a_date_is_read_as_people_type_it(typed, day):
    assert rules.parse_typed_date(typed) == day


@pytest.mark.parametrize("typed", NOT_A_DATE)
def test_what_is_not_written_as_a_date_is_unreadable(typed):
    with pytest.raises(rules.UnreadableDate):
        rules.parse_typed_date(typed)


@pytest.mark.parametrize("typed", NO_SUCH_DAY)
def test_a_day_that_does_not_exist_is_told_apart(typed):
    with pytest.raises(rules.NonexistentDate):
        rules.parse_typed_date(typed)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_day_reads_back_in_every_notation(day):
    for pattern in ("%d/%m/%Y", "%d%m%Y", "%d-%m-%Y", "%d/%m/%y", "%d%m%y", "%Y-%m-%d"):
        assert rules.parse_typed_date(day.strftime(pattern)) == day


def test_a_leap_day_exists_in_a_leap_year():
    assert rules.parse_typed_date("29/02/28") == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/12", "Saisissez la date au format JJ/MM/AAAA, par exemple 31/12/2027."),
        ("31/02/2027", "Cette date n’existe pas : vérifiez le jour et le mois."),
        ("1" * 30, "Saisissez la date au format JJ/MM/AAAA, par exemple 31/12/2027."),
    ],
)
def test_the_date_field_names_the_format_only_when_the_format_is_wrong(typed, message):
    with pytest.raises(forms.ValidationError) as refused:
        TypedDateField().clean(typed)
    assert refused.value.messages == [message]


def test_the_numero_error_is_short_and_leaves_the_hint_to_the_hint():
    with pytest.raises(forms.ValidationError) as refused:
        NumeroEtrangerField().clean("12345678")
    (message,) = refused.value.messages
    assert len(message) < 100
    assert "vignette OFII" not in message


def test_numero_date_and_postal_code_bring_up_the_numeric_keyboard():
    page = IdentityForm().as_div()
    for name in ("numero_etranger", "valid_until", "postal_code"):
        (tag,) = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert 'inputmode="numeric"' in tag, name


@pytest.mark.django_db
def test_the_identity_step_takes_a_date_typed_without_separators(
    client, renewal, title
):
    response = pass_identity(client, renewal, {**IDENTITY, "valid_until": "310328"})
    assert response.status_code == 302


def _summary(page: str) -> str:
    main = page[page.index('<main id="content"') :]
    start = main.index('id="error-summary"')
    return main[start : main.index("</div>", start)]


@pytest.mark.django_db
def test_a_wrong_identity_shows_the_summary_first_linking_each_field(
    client, renewal, title
):
    pass_gate(client, renewal)
    response = client.post(
        "/rendez-vous/identite/",
        {"numero_etranger": "12", "valid_until": "31/02/2027", "postal_code": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    title_text = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title_text.startswith("Erreur : ")
    main = page[page.index('<main id="content"') :]
    # The summary comes before anything else in the main content, the heading too.
    assert main.index('id="error-summary"') < main.index("<h1")
    summary = _summary(page)
    assert "Le formulaire contient 3 erreurs" in summary
    links = dict(re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary))
    assert set(links) == {"id_numero_etranger", "id_valid_until", "id_postal_code"}
    for anchor in links:
        assert f'id="{anchor}"' in page
    assert (
        links["id_valid_until"]
        == "Cette date n’existe pas : vérifiez le jour et le mois."
    )
    # The focus script is a static file (CSP: no inline script).
    assert re.search(r'<script src="[^"]*site/error-summary\.js"', page)


@pytest.mark.django_db
def test_a_choice_left_empty_links_to_its_first_option(client, renewal):
    response = client.post("/rendez-vous/", {"procedure": renewal.pk})
    page = response.content.decode()
    summary = _summary(page)
    assert "Le formulaire contient 1 erreur<" in summary
    (anchor,) = re.findall(r'<a href="#([^"]+)">', summary)
    assert re.search(rf'<input[^>]*type="radio"[^>]*id="{anchor}"', page) or re.search(
        rf'<input[^>]*id="{anchor}"[^>]*type="radio"', page
    )


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [{}, {"slot": "x"}])
def test_a_slot_left_unchosen_is_summarised_and_linked_to_the_list(
    client, renewal, title, slot, sent
):
    pass_identity(client, renewal)
    response = client.post("/rendez-vous/creneaux/", sent)
    page = response.content.decode()
    assert response.status_code == 200
    title_text = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert title_text.startswith("Erreur : ")
    summary = _summary(page)
    assert "Le formulaire contient 1 erreur<" in summary
    assert re.findall(r'<a href="#([^"]+)">', summary) == ["slot-times-legend"]
    assert 'id="slot-times-legend"' in page and f'value="{slot.pk}"' in page


@pytest.mark.django_db
def test_a_page_without_errors_has_no_summary_and_a_plain_title(client, renewal):
    pass_gate(client, renewal)
    page = client.get("/rendez-vous/identite/").content.decode()
    assert "error-summary" not in page
    assert "<title>Erreur" not in page
