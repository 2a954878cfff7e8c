"""Forms of the agents' custom pages and change forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from booking.forms import NumeroEtrangerField
from booking.models import (
    Card,
)
from booking.phone import InvalidPhone, NotAMobile, normalize_mobile


class CsvUploadForm(forms.Form):
    file = forms.FileField(label=_("Fichier CSV"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("Fichier trop volumineux (10 Mo au plus)."))
        return upload


class CardForm(forms.ModelForm):
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

    def clean_mobile(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["mobile"])
        except NotAMobile:
            raise forms.ValidationError(
                _("C’est un numéro de téléphone fixe : il ne peut pas recevoir de SMS.")
            ) from None
        except InvalidPhone:
            raise forms.ValidationError(
                _("Numéro de téléphone portable invalide.")
            ) from None
