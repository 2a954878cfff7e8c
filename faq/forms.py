from crispy_forms.helper import FormHelper
from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from prefecture.dsfr_forms import DsfrForm
from prefecture.dsfr_layout import Submit

QUERY_MAX_LENGTH = 200


class SearchForm(DsfrForm):
    q = forms.CharField(
        label=_("Rechercher dans les questions fréquentes"),
        help_text=_("Par exemple : récépissé, numéro étranger, retrait du titre."),
        max_length=QUERY_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
        error_messages={
            "max_length": _(
                "Votre recherche est trop longue : %(limit_value)d caractères au "
                "plus (vous en avez saisi %(show_value)d)."
            ),
            "null_characters_not_allowed": _(
                "Votre recherche contient un caractère invalide."
            ),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_tag = True
        self.helper.form_action = reverse("faq:index")
        self.helper.attrs = {"role": "search"}
        self.helper.add_input(Submit("", _("Rechercher")))
