"""The project-local crispy template pack renders DSFR markup over DsfrBaseForm."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from crispy_forms.utils import render_crispy_form
from django import forms
from dsfr.forms import DsfrBaseForm

from prefecture.dsfr_layout import Submit


class ContactForm(DsfrBaseForm):
    postal_code = forms.CharField(label="Code postal", max_length=5)
    phone = forms.CharField(label="Téléphone portable", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("Vos coordonnées", "postal_code", "phone"),
        )
        self.helper.add_input(Submit("submit", "Continuer"))


def test_fields_render_with_dsfr_labels_inside_a_fieldset():
    html = render_crispy_form(ContactForm())
    assert '<fieldset class="fr-fieldset"' in html
    assert '<legend class="fr-fieldset__legend">Vos coordonnées</legend>' in html
    assert '<label for="id_postal_code" class="fr-label">' in html
    assert 'class="fr-input"' in html
    assert (
        '<button type="submit" name="submit" value="Continuer" class="fr-btn"' in html
    )
    assert 'method="post"' in html


def test_errors_are_linked_to_their_field_and_typed_values_kept():
    form = ContactForm(data={"postal_code": "4500012", "phone": "06 12 34 56 78"})
    assert not form.is_valid()
    html = render_crispy_form(form)
    assert "fr-input-group--error" in html
    assert 'aria-describedby="id_postal_code-desc-error"' in html
    assert 'id="id_postal_code-desc-error"' in html
    assert 'value="4500012"' in html and 'value="06 12 34 56 78"' in html
