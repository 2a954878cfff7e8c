"""Forms of the agents' custom pages and change forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from booking.forms import MobileField, NameField, NumeroEtrangerField
from booking.models import Booking, Card


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("Fichier CSV"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("Fichier trop volumineux (10 Mo au plus)."))
        return upload


# The agents' words for a wrong mobile (shorter than the applicant's).
AGENT_MOBILE_ERRORS = {
    "landline": _(
        "C’est un numéro de téléphone fixe : il ne peut pas recevoir de SMS."
    ),
    "invalid": _("Numéro de téléphone portable invalide."),
}


class CardForm(forms.ModelForm):
    # The delivery list may leave a name out (a holder without a prénom).
    last_name = NameField(label=_("nom"), required=False)
    first_name = NameField(label=_("prénom"), required=False)
    mobile = MobileField(
        label=_("téléphone portable"), error_messages=AGENT_MOBILE_ERRORS
    )
    numero_etranger = NumeroEtrangerField(
        label=_("numéro étranger"),
        error_messages={
            "invalid": _(
                "Numéro étranger invalide : 10 chiffres (9 pour une carte d’avant 2017)."
            )
        },
    )

    class Meta:
        model = Card
        fields = [
            "numero_etranger",
            "last_name",
            "first_name",
            "mobile",
            "language",
            "site",
        ]


# What an agent may correct in the change form (booking_update_contact).
CONTACT_FIELDS = [
    "last_name",
    "first_name",
    "mobile",
    "email",
    "language",
    "for_relative",
]


class BookingChangeForm(forms.ModelForm):
    """The applicant's contact details, and the agenda's "flag" action: the flag and
    the note are written by `booking_flag_numero`, with its audit event."""

    last_name = NameField(label=_("nom"))
    first_name = NameField(label=_("prénom"))

    mobile = MobileField(
        label=_("téléphone portable"), error_messages=AGENT_MOBILE_ERRORS
    )
    flag = forms.BooleanField(
        label=_("Signaler le numéro comme douteux"), required=False
    )
    flag_note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Enregistrée avec le signalement, dans l’historique du rendez-vous."
        ),
    )

    class Meta:
        model = Booking
        fields = CONTACT_FIELDS
