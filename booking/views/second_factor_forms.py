"""The forms of the possession checks: the manage page's one-time code, and the
identity step's harder proof of work once a numéro is over its failure limit."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from booking.forms import IdentityForm
from booking.web.antibot import ProofOfWorkField, widget_strings
from prefecture.dsfr_forms import DsfrForm
from prefecture.dsfr_layout import Submit

# About twenty times the confirmation step's work: a few seconds on a phone, paid by
# every try on a numéro that others have been guessing.
HARD_PROOF_MAXNUMBER = 2_000_000


class ManageCodeForm(DsfrForm):
    code = forms.RegexField(
        label=_("Code reçu par SMS"),
        help_text=_("6 chiffres, valable quelques minutes."),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={
            "required": _("Saisissez le code à 6 chiffres reçu par SMS."),
            "invalid": _("Saisissez les 6 chiffres du code, par exemple 123456."),
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.add_input(Submit("submit", _("Accéder à mon rendez-vous")))


class HardProofIdentityForm(IdentityForm):
    """The identity form again, with a required, harder proof of work."""

    proof = ProofOfWorkField(required=True, maxnumber=HARD_PROOF_MAXNUMBER)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proof"].widget.options["strings"] = widget_strings()
        self.helper.layout = Layout(*self.helper.layout.fields, "proof")

    @property
    def has_hard_proof(self) -> bool:
        return settings.ANTIBOT and bool(self.cleaned_data.get("proof"))
