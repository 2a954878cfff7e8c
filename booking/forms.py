"""The booking flow's forms: DSFR rendering, French first, typed values kept on error."""

import datetime as _dt
from typing import cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout
from django import forms
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from booking import rules
from booking.phone import InvalidPhone, NotAMobile, is_in_regions, normalize_mobile
from booking.selectors import (
    procedure_get_offered,
    procedure_list_offered,
    site_list_active,
)
from booking.web import antibot
from booking.web.antibot import ProofOfWorkField, widget_strings
from prefecture.dsfr_forms import DsfrForm
from prefecture.dsfr_layout import Submit

SITUATIONS = [
    (
        rules.Situation.TITRE_SEJOUR.value,
        _("J’ai un titre de séjour (carte de séjour, carte de résident, VLS-TS)"),
    ),
    (
        rules.Situation.RECEPISSE.value,
        _("J’ai un récépissé de demande de titre de séjour"),
    ),
    (rules.Situation.APS.value, _("J’ai une autorisation provisoire de séjour (APS)")),
    (
        rules.Situation.PREMIERE_DEMANDE.value,
        _("C’est une première demande de titre de séjour"),
    ),
]

WHERE_IS_THE_NUMERO = _(
    "Le numéro étranger a 10 chiffres. Il est inscrit sur votre titre de séjour ; pour "
    "un visa long séjour valant titre de séjour (VLS-TS), sur la vignette OFII collée "
    "dans votre passeport. Une carte de résident délivrée avant 2017 en affiche 9 : "
    "saisissez-les tels quels."
)


class NormalisedField(forms.CharField):
    """A text field cleaned by a normaliser: after the length check (so that a very
    long entry is told it is too long), each exception the normaliser raises is the
    error of its code in ``refusals`` (most specific first)."""

    refusals: tuple[tuple[type[Exception], str], ...] = ()

    def normalise(self, value: str) -> str:
        raise NotImplementedError

    def clean(self, value) -> str:
        value = super().clean(value)
        if value in self.empty_values:
            return value
        try:
            return self.normalise(value)
        except tuple(error for error, _code in self.refusals) as error:
            code = next(c for kind, c in self.refusals if isinstance(error, kind))
            raise forms.ValidationError(self.error_messages[code], code=code) from None


class NumeroEtrangerField(NormalisedField):
    """A numéro étranger in any notation (spaces, dots, dashes; the 9 digits of a
    pre-2017 card), cleaned to its 10 digits; ``invalid`` when it is not one."""

    default_error_messages = {
        "invalid": _(
            "Ce numéro étranger n’est pas valide : il a 10 chiffres (9 sur une carte "
            "d’avant 2017)."
        ),
    }
    refusals = ((rules.InvalidNumero, "invalid"),)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def normalise(self, value: str) -> str:
        return rules.normalize_numero_etranger(value)


class MobileField(NormalisedField):
    """A mobile number in any French or international notation, cleaned to E.164;
    ``landline`` for a number that cannot receive SMS, ``invalid`` otherwise."""

    default_error_messages = {
        "landline": _(
            "Ce numéro est celui d’un téléphone fixe : indiquez un numéro de "
            "portable, qui peut recevoir des SMS."
        ),
        "invalid": _(
            "Ce numéro de téléphone n’est pas valide. Exemples : 06 12 34 56 78, "
            "+33 6 12 34 56 78, +44 7911 123456."
        ),
    }
    refusals = ((NotAMobile, "landline"), (InvalidPhone, "invalid"))

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def normalise(self, value: str) -> str:
        return normalize_mobile(value)


class NameField(NormalisedField):
    """A nom or prénom as the title of residence writes it (``rules.normalize_name``):
    Latin letters with their accents, spaces, hyphens and apostrophes; ``invalid``
    for digits, other signs, line breaks or another script."""

    default_error_messages = {
        "invalid": _(
            "Écrivez le nom comme sur le titre de séjour, en lettres latines (accents "
            "compris) : seuls l’espace, le trait d’union et l’apostrophe sont acceptés, "
            "sans chiffres ni autres signes."
        ),
    }
    refusals = ((rules.InvalidName, "invalid"),)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", rules.NAME_MAX_LENGTH)
        super().__init__(**kwargs)

    def normalise(self, value: str) -> str:
        return rules.normalize_name(value)


class TypedDateField(forms.DateField):
    """A date typed day first, with or without separators (``rules.parse_typed_date``);
    ``invalid`` names the format when the text is not one, ``nonexistent`` says the
    day does not exist. A numeric keyboard on phones: the digits alone are enough."""

    default_error_messages = {
        "invalid": _("Saisissez la date au format JJ/MM/AAAA, par exemple 31/12/2027."),
        "nonexistent": _("Cette date n’existe pas : vérifiez le jour et le mois."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                format="%d/%m/%Y",
                attrs={"inputmode": "numeric", "autocomplete": "off"},
            ),
        )
        self.max_length = kwargs.pop("max_length")
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, _dt.date):
            return value
        text = str(value)
        if len(text) > self.max_length:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return rules.parse_typed_date(text)
        except rules.NonexistentDate:
            raise forms.ValidationError(
                self.error_messages["nonexistent"], code="nonexistent"
            ) from None
        except rules.UnreadableDate:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from None


def _helper(submit_label, *layout) -> FormHelper:
    helper = FormHelper()
    helper.form_method = "post"
    if layout:
        helper.layout = Layout(*layout)
    helper.add_input(Submit("submit", submit_label))
    return helper


def _part_helper(*layout, submit_label: str | Promise = "") -> FormHelper:
    """A helper that renders only ``layout`` (none of the form's other fields), with
    no <form> tag nor CSRF token, and a submit button when labelled."""
    helper = FormHelper()
    helper.form_method = "post"
    helper.layout = Layout(*layout)
    helper.form_tag = False
    helper.disable_csrf = True
    if submit_label:
        helper.add_input(Submit("submit", submit_label))
    return helper


class OfferedProcedureField(forms.ModelChoiceField):
    """The démarches offered, its choice checked against the ones each process keeps
    for the démarches' version (selectors.procedure_get_offered): the gate's answer
    costs no query of its own."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            procedure = procedure_get_offered(pk=int(str(value)))
        except ValueError:  # not a number
            procedure = None
        if procedure is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return procedure


class GateForm(DsfrForm):
    situation = forms.ChoiceField(
        label=_("Votre situation"),
        choices=SITUATIONS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Indiquez votre situation.")},
    )
    procedure = OfferedProcedureField(
        label=_("Votre démarche"),
        queryset=procedure_list_offered(),
        empty_label=_("Choisissez votre démarche"),
        error_messages={
            "required": _("Choisissez votre démarche."),
            "invalid_choice": _(
                "Cette démarche n’est pas proposée. Choisissez-en une."
            ),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].label_from_instance = lambda p: p.name
        self.helper = _helper(_("Continuer"))
        # The page writes the <form> tag and its CSRF token, so that the fields, the
        # same for everyone, can be cached (booking/start.html).
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class IdentityForm(DsfrForm):
    numero_etranger = NumeroEtrangerField(
        label=_("Numéro étranger"),
        help_text=WHERE_IS_THE_NUMERO,
        error_messages={
            "required": _("Saisissez votre numéro étranger."),
            "max_length": _(
                "Ce numéro est trop long : un numéro étranger a 10 chiffres."
            ),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    valid_until = TypedDateField(
        label=_("Date de validité"),
        help_text=_("La date de fin de validité inscrite sur le titre (jj/mm/aaaa)."),
        error_messages={
            "required": _("Saisissez la date de validité de votre titre."),
        },
    )
    postal_code = forms.CharField(
        label=_("Code postal"),
        help_text=_(
            "Le code postal inscrit sur votre titre de séjour, même si vous avez "
            "déménagé depuis : 5 chiffres (par exemple 45000)."
        ),
        max_length=10,
        error_messages={
            "required": _("Saisissez votre code postal."),
            "max_length": _("Un code postal a 5 chiffres, par exemple 45000."),
        },
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "postal-code"}
        ),
    )
    for_relative = forms.BooleanField(
        label=_("Je prends rendez-vous pour un proche"),
        help_text=_(
            "Saisissez alors le numéro étranger, la date de validité et le code postal "
            "de votre proche, pas les vôtres."
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            _("Vérifier et continuer"),
            "for_relative",
            "numero_etranger",
            # The drawings of each title, in a new tab: what is typed here stays.
            HTML('{% include "booking/_where_is_the_numero.html" %}'),
            "valid_until",
            "postal_code",
        )
        # The page writes the <form> tag and its CSRF token, so that the empty form,
        # the same for everyone, can be cached (booking/identity.html).
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_postal_code(self) -> str:
        postal_code = rules.normalize_postal_code(self.cleaned_data["postal_code"])
        if postal_code is None:
            raise forms.ValidationError(
                _("Un code postal a 5 chiffres, par exemple 45000."), code="invalid"
            )
        return postal_code


class SlotForm(forms.Form):
    slot = forms.IntegerField(
        min_value=1,
        max_value=2**62,
        # Never rendered: the radios come from the cached day list
        # (_slot_day.html); the error summary links to that list's legend.
        widget=forms.NumberInput(attrs={"id": "slot-times-legend"}),
        error_messages={
            "required": _("Choisissez un créneau."),
            "invalid": _("Choisissez un créneau dans la liste."),
            "min_value": _("Choisissez un créneau dans la liste."),
            "max_value": _("Choisissez un créneau dans la liste."),
        },
    )


class ContactForm(DsfrForm):
    last_name = NameField(
        label=_("Nom"),
        error_messages={"required": _("Saisissez votre nom.")},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    first_name = NameField(
        label=_("Prénom"),
        error_messages={"required": _("Saisissez votre prénom.")},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    mobile = MobileField(
        label=_("Téléphone portable"),
        help_text=_(
            "Pour recevoir la confirmation et le rappel par SMS. Par exemple 06 12 34 "
            "56 78. Les SMS ne partent que vers les numéros français (métropole et "
            "outre-mer) : avec un numéro de portable non français, indiquez aussi "
            "votre adresse électronique."
        ),
        error_messages={"required": _("Saisissez votre numéro de téléphone portable.")},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=_("Adresse électronique (facultatif)"),
        help_text=_(
            "Pour recevoir la confirmation par courriel. Format : nom@domaine.fr"
        ),
        required=False,
        max_length=254,
        error_messages={
            "invalid": _(
                "Cette adresse électronique n’est pas valide. Format attendu : "
                "nom@domaine.fr"
            )
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # Honeypot: invisible to people (and hidden from assistive technologies), filled
    # by naive bots.
    website = forms.CharField(
        label=_("Ne remplissez pas ce champ"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    proof = ProofOfWorkField(label=_("Vérification anti-robot"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if settings.ANTIBOT:
            self.fields["proof"].widget.options["strings"] = widget_strings()
        else:
            del self.fields["proof"]
        contact = Fieldset(
            _("Vos coordonnées"), "last_name", "first_name", "mobile", "email"
        )
        guard = (
            Div("website", css_class="booking-honeypot", aria_hidden="true"),
            *(["proof"] if settings.ANTIBOT else []),
        )
        self.helper = _helper(_("Confirmer le rendez-vous"), contact, *guard)
        # The empty form in two parts (booking/details.html): the contact fields, the
        # same for everyone, are cached; the anti-bot guard (the proof of work is new
        # at every display) and the button are not. The page writes the <form> tag
        # and its CSRF token.
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.contact_helper = _part_helper(contact)
        self.guard_helper = _part_helper(
            *guard, submit_label=_("Confirmer le rendez-vous")
        )

    def clean(self):
        cleaned = super().clean()
        if self.has_error("proof"):
            # A hidden field: say it where the applicant looks.
            self.add_error(None, antibot.FAILED)
        mobile = cleaned.get("mobile")
        if (
            mobile
            and not cleaned.get("email")
            and not self.has_error("email")
            and not is_in_regions(mobile, settings.SMS_ALLOWED_REGIONS)
        ):
            # A newcomer may have only their home country's mobile: the booking is
            # taken, the agents can call that number, and the confirmation and the
            # manage link go by e-mail (the outbox records its SMS refused).
            self.add_error("mobile", self.no_sms_abroad())
        return cleaned

    def no_sms_abroad(self) -> str:
        return str(NO_SMS_ABROAD)


NO_SMS_ABROAD = _(
    "Nous n’envoyons de SMS qu’aux numéros de portable français (métropole et "
    "outre-mer). Indiquez un numéro français, ou gardez celui-ci et indiquez votre "
    "adresse électronique : vous y recevrez la confirmation et le lien pour gérer "
    "votre rendez-vous."
)


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

    def __init__(self, *args, by_email: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if by_email:  # a mobile that gets no SMS: the code came by e-mail
            code = self.fields["code"]
            # The bound field too: DsfrBaseForm has bound it already.
            code.label = self["code"].label = _("Code reçu par courriel")
            code.error_messages["required"] = _(
                "Saisissez le code à 6 chiffres reçu par courriel."
            )
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


# The waiting list: where the person can go, and the half-days they cannot come.
HALF_DAY_LABELS = {
    "mon-am": _("lundi matin"),
    "mon-pm": _("lundi après-midi"),
    "tue-am": _("mardi matin"),
    "tue-pm": _("mardi après-midi"),
    "wed-am": _("mercredi matin"),
    "wed-pm": _("mercredi après-midi"),
    "thu-am": _("jeudi matin"),
    "thu-pm": _("jeudi après-midi"),
    "fri-am": _("vendredi matin"),
    "fri-pm": _("vendredi après-midi"),
}

PREFERENCES_TOO_NARROW = _(
    "Vos choix ne laissent aucune place possible : gardez au moins un lieu et au "
    "moins une demi-journée où vous pouvez venir."
)


class WaitingPreferences(forms.Form):
    """The sites the person can go to (every active site, all ticked at first) and the
    half-days they cannot come (none at first); at least one of each must remain."""

    sites = forms.TypedMultipleChoiceField(
        label=_("Lieux où vous pouvez vous rendre"),
        help_text=_("Décochez les lieux où vous ne pouvez pas aller."),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Cochez au moins un lieu où vous pouvez vous rendre."),
            "invalid_choice": _("Choisissez les lieux dans la liste."),
        },
    )
    unavailable = forms.MultipleChoiceField(
        label=_("Demi-journées où vous ne pouvez pas venir (facultatif)"),
        help_text=_(
            "Cochez seulement les demi-journées impossibles pour vous (travail, "
            "garde d'enfants…) : moins vous en cochez, plus vite une place peut vous "
            "être proposée."
        ),
        required=False,
        choices=[(code, HALF_DAY_LABELS[code]) for code in rules.HALF_DAY_CODES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choisissez les demi-journées dans la liste."),
        },
    )

    def _preferences_init(self) -> None:
        """Reads the active sites once (their choices, all ticked)."""
        sites = [(site.pk, site.name) for site in site_list_active()]
        field = cast(forms.TypedMultipleChoiceField, self.fields["sites"])
        field.choices = sites
        field.initial = [pk for pk, _name in sites]

    def _preferences_clean(self) -> None:
        codes = self.cleaned_data.get("unavailable") or []
        if set(codes) >= set(rules.HALF_DAY_CODES):
            self.add_error(
                "unavailable",
                forms.ValidationError(
                    _(
                        "Vous ne pouvez pas exclure toutes les demi-journées : "
                        "laissez au moins une demi-journée où vous pouvez venir."
                    ),
                    code="too_narrow",
                ),
            )

    @property
    def unavailable_mask(self) -> int:
        return rules.half_days_mask(self.cleaned_data["unavailable"])


class WaitingJoinForm(WaitingPreferences, ContactForm):
    """Joining the waiting list: the preferences, then the contact fields of the
    booking's ContactForm, behind the same honeypot and proof of work."""

    field_order = ["sites", "unavailable"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._preferences_init()
        for name, text in (
            ("mobile", WAITING_MOBILE_HELP),
            ("email", WAITING_EMAIL_HELP),
        ):
            # The bound field too: DsfrBaseForm has bound it already.
            self.fields[name].help_text = self[name].help_text = text
        self.helper = _helper(
            _("M'inscrire sur la liste d'attente"),
            "sites",
            "unavailable",
            Fieldset(
                _("Vos coordonnées"), "last_name", "first_name", "mobile", "email"
            ),
            Div("website", css_class="booking-honeypot", aria_hidden="true"),
            *(["proof"] if settings.ANTIBOT else []),
        )

    def clean(self):
        cleaned = super().clean()
        self._preferences_clean()
        return cleaned

    def no_sms_abroad(self) -> str:
        return str(WAITING_NO_SMS_ABROAD)


WAITING_MOBILE_HELP = _(
    "Pour recevoir par SMS le lien de suivi et les places proposées. Par exemple 06 "
    "12 34 56 78. Les SMS ne partent que vers les numéros français (métropole et "
    "outre-mer) : avec un numéro de portable non français, indiquez aussi votre "
    "adresse électronique."
)
WAITING_EMAIL_HELP = _(
    "Pour recevoir aussi les places proposées par courriel. Format : nom@domaine.fr"
)
WAITING_NO_SMS_ABROAD = _(
    "Nous n'envoyons de SMS qu'aux numéros de portable français (métropole et "
    "outre-mer). Indiquez un numéro français, ou gardez celui-ci et indiquez votre "
    "adresse électronique : vous y recevrez le lien de suivi et les places proposées."
)


class WaitingEarlierForm(WaitingPreferences, DsfrForm):
    """Asking, from the manage page, to be offered an earlier place (the contact is
    the booking's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._preferences_init()
        self.helper = _helper(
            _("Me proposer une date plus proche"), "sites", "unavailable"
        )

    def clean(self):
        cleaned = super().clean()
        self._preferences_clean()
        return cleaned


class WaitingCodeForm(ManageCodeForm):
    """The status page's one-time code (as the manage page's)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.inputs.clear()
        self.helper.add_input(Submit("submit", _("Accéder à ma demande")))
