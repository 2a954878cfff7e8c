"""The numéro étranger field shared by the booking flow and the agents' card form."""

import pytest
from django import forms

from booking.admin.forms import CardForm
from booking.forms import IdentityForm, NumeroEtrangerField


@pytest.mark.parametrize(
    "typed", ["2008006503", "208006503", " 20 08 00 65 03 ", "20.08.006-503"]
)
def test_numero_field_cleans_any_notation_to_ten_digits(typed):
    assert NumeroEtrangerField().clean(typed) == "2008006503"


@pytest.mark.parametrize("typed", ["12345678", "12345678901", "20080O6503"])
def test_numero_field_refuses_what_is_not_a_numero(typed):
    with pytest.raises(forms.ValidationError) as refused:
        NumeroEtrangerField().clean(typed)
    assert refused.value.code == "invalid"
    assert str(refused.value.messages[0]).startswith(
        "Ce numéro étranger n’est pas valide"
    )


def test_numero_field_says_too_long_before_invalid():
    with pytest.raises(forms.ValidationError) as refused:
        NumeroEtrangerField().clean("9" * 41)
    assert [error.code for error in refused.value.error_list] == ["max_length"]


def test_numero_field_keeps_an_empty_optional_value():
    assert NumeroEtrangerField(required=False).clean("") == ""


def test_identity_form_and_card_form_share_the_field():
    assert isinstance(IdentityForm().fields["numero_etranger"], NumeroEtrangerField)
    assert isinstance(CardForm().fields["numero_etranger"], NumeroEtrangerField)


@pytest.mark.django_db
def test_card_form_speaks_to_agents():
    form = CardForm({"numero_etranger": "12345"})
    assert not form.is_valid()
    assert form.errors["numero_etranger"] == [
        "Numéro étranger invalide : 10 chiffres (9 pour une carte d’avant 2017)."
    ]
