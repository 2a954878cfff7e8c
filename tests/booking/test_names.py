"""Names are names: the applicant's and agents' forms and the delivery list refuse
digits, links, line breaks and other signs, and no text the préfecture sends starts
with (or quotes) what someone typed."""

import unicodedata

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from booking import rules
from booking.admin.forms import BookingChangeForm, CardForm
from booking.forms import ContactForm
from booking.models import Booking, Card
from booking.services.cards import cards_ready_from_csv
from booking.services.emails import confirmation_render
from tests.booking.flow import CONTACT, hold
from tests.factories import BookingFactory, SiteFactory

PHISHING = (
    "Madame,\nATTENTION : votre titre de séjour est suspendu… https://evil.example/anef"
)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Awa", "Awa"),
        ("  Jean  -  Pierre ", "Jean-Pierre"),
        ("N’Diaye", "N'Diaye"),
        ("d'Artagnan de Castelmore", "d'Artagnan de Castelmore"),
        ("Łukasz Żółć", "Łukasz Żółć"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("Ngũgĩ wa Thiong'o", "Ngũgĩ wa Thiong'o"),
        ("Mari\u0301a", "María"),  # a combining accent, composed
        ("Ｍａｒｉｅ", "Marie"),
        ("Jean\u00a0Marc", "Jean Marc"),
        ("Straße", "Straße"),
        ("A", "A"),
        ("a" * rules.NAME_MAX_LENGTH, "a" * rules.NAME_MAX_LENGTH),
    ],
)
def test_names_with_accents_spaces_hyphens_and_apostrophes_pass_tidied(typed, kept):
    assert rules.normalize_name(typed) == kept
    assert rules.is_plausible_name(typed)


@pytest.mark.parametrize(
    "typed",
    [
        PHISHING,
        "Awa\nDiallo",
        "Awa\tDiallo",
        "Awa\u2028Diallo",
        "https://evil.example/anef",
        "evil.example",
        "Louis 14",
        "Appelez le 0612345678",
        "Awa <b>",
        "Awa; DROP",
        "Awa@example",
        "Мария",  # another script than the title's
        "Awa😀",
        "-Jean",
        "Jean--Pierre",
        "Jean'",
        "",
        " ",
        "a" * (rules.NAME_MAX_LENGTH + 1),
    ],
)
def test_digits_links_line_breaks_signs_and_other_scripts_are_refused(typed):
    assert not rules.is_plausible_name(typed)
    with pytest.raises(rules.InvalidName):
        rules.normalize_name(typed)


@given(st.text(max_size=100))
def test_an_accepted_name_is_letters_and_joiners_only_and_stays_the_same(typed):
    try:
        name = rules.normalize_name(typed)
    except rules.InvalidName:
        return
    assert 1 <= len(name) <= rules.NAME_MAX_LENGTH
    assert all(
        char.isalpha() or unicodedata.category(char) == "Mn" or char in " '-"
        for char in name
    )
    assert not any(char.isdigit() or char in "\n\r\t.:/@<>%" for char in name)
    assert rules.normalize_name(name) == name


# --- the forms ------------------------------------------------------------------


def test_contact_form_refuses_the_phishing_first_name_with_a_clear_error(settings):
    settings.ANTIBOT = False
    assert not ContactForm(data={**CONTACT, "first_name": PHISHING}).is_valid()
    form = ContactForm(data={**CONTACT, "first_name": "Madame,\nhttps://evil.example"})
    assert not form.is_valid()
    assert form.errors["first_name"] == [
        "Écrivez le nom comme sur le titre de séjour, en lettres latines (accents "
        "compris) : seuls l’espace, le trait d’union et l’apostrophe sont acceptés, "
        "sans chiffres ni autres signes."
    ]
    form = ContactForm(data={**CONTACT, "first_name": " awa ", "last_name": "DIALLO"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["first_name"] == "awa"


@pytest.mark.django_db
def test_the_booking_flow_books_no_one_under_a_phishing_name(
    client, renewal, slot, title, settings
):
    settings.ANTIBOT = False
    hold(client, renewal, slot)
    response = client.post(
        "/rendez-vous/coordonnees/", {**CONTACT, "last_name": "Diallo http://x.fr"}
    )
    assert response.status_code == 200
    assert "en lettres latines" in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_agents_forms_refuse_such_names_too():
    site = SiteFactory()
    card = CardForm(
        data={
            "numero_etranger": "4500000001",
            "last_name": "Diallo",
            "first_name": "Awa 2",
            "mobile": "0612345678",
            "language": "fr",
            "site": site.pk,
        }
    )
    assert not card.is_valid() and "first_name" in card.errors
    booking = BookingFactory()
    change = BookingChangeForm(
        instance=booking,
        data={
            "last_name": "Diallo\nVotre titre est suspendu",
            "first_name": "Awa",
            "mobile": "0612345678",
            "email": "",
            "language": "fr",
        },
    )
    assert not change.is_valid() and "last_name" in change.errors


@pytest.mark.django_db
def test_the_delivery_list_refuses_a_line_with_such_a_name_and_keeps_the_others():
    SiteFactory()
    data = (
        "numero_etranger,nom,prenom,telephone,site\n"
        "208006503,Diallo,Awa,06 12 34 56 78,\n"
        "4512345678,Nguyen,Linh https://evil.example,07 81 23 45 67,\n"
        "4512345679,N’Diaye,,07 81 23 45 68,\n"
    ).encode()
    report = cards_ready_from_csv(data=data, by="agent", now=timezone.now())
    assert report.ready == 2
    assert report.rejected == [
        (
            3,
            "prenom : lettres latines, espaces, traits d’union et apostrophes "
            "seulement (80 caractères au plus)",
        )
    ]
    assert Card.objects.get(numero_etranger="4512345679").last_name == "N'Diaye"


# --- what the préfecture sends --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_confirmation_email_starts_with_the_prefecture_and_quotes_no_name(
    language,
):
    # A name written before the rule (or by an agent's typo) stays out of the text.
    booking = BookingFactory(
        first_name="Madame ATTENTION", last_name="Suspendu", language=language
    )
    subject, body = confirmation_render(booking)
    assert body.startswith(
        {
            "fr": "Votre rendez-vous à la préfecture du Loiret est confirmé.",
            "en": "Your appointment at the Préfecture du Loiret is confirmed.",
        }[language]
    )
    assert "ATTENTION" not in body + subject and "Suspendu" not in body + subject
    assert booking.reference in subject and booking.reference in body


def test_a_name_folds_as_a_search_compares_it():
    from booking.rules import fold_name

    assert fold_name("Lefèvre") == fold_name("LEFEVRE") == "LEFEVRE"
    assert fold_name(" o'Connor-Smith ") == "O CONNOR SMITH"
    assert fold_name("Öztürk Çağlar") == "OZTURK CAGLAR"
