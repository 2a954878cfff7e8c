"""Forms of the agents' custom pages and change forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking import rules, selectors
from booking.forms import MobileField, NameField, NumeroEtrangerField
from booking.models import Booking, Card, Site, Slot, TitleRecord, WaitingRequest
from booking.services.sites import site_sms_name_length, site_sms_name_room

# The agents' words for a wrong mobile (shorter than the applicant's).
AGENT_MOBILE_ERRORS = {
    "landline": _(
        "C’est un numéro de téléphone fixe : il ne peut pas recevoir de SMS."
    ),
    "invalid": _("Numéro de téléphone portable invalide."),
}


class TextareaField(forms.CharField):
    """Text typed in a textarea, its line breaks as the browser counted them: a
    form sends each one as CR LF, and 300 characters typed read as 301 past the
    browser's own limit."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


class CardForm(forms.ModelForm):
    # A holder may have no prénom; the nom is how the desk checks their identity.
    last_name = NameField(label=capfirst(_("nom")))
    first_name = NameField(label=capfirst(_("prénom")), required=False)
    mobile = MobileField(
        label=capfirst(_("téléphone portable")), error_messages=AGENT_MOBILE_ERRORS
    )
    numero_etranger = NumeroEtrangerField(
        label=capfirst(_("numéro étranger")),
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


class TitleRecordForm(forms.ModelForm):
    """A register line typed by an agent, checked as the import checks its lines:
    the numéro in any notation (9 digits made 10), a five-digit postal code, a
    mobile (if any) in E.164; otherwise the applicant could never match it."""

    numero_etranger = NumeroEtrangerField(
        label=capfirst(_("numéro étranger")),
        error_messages={
            "invalid": _(
                "Numéro étranger invalide : 10 chiffres (9 pour une carte d’avant 2017)."
            )
        },
    )
    postal_code = forms.CharField(label=capfirst(_("code postal")), max_length=20)
    mobile = MobileField(
        label=capfirst(_("téléphone portable")),
        required=False,
        error_messages=AGENT_MOBILE_ERRORS,
    )

    class Meta:
        model = TitleRecord
        fields = [
            "numero_etranger",
            "valid_until",
            "postal_code",
            "title_type",
            "mobile",
        ]

    def clean_postal_code(self) -> str:
        postal_code = rules.normalize_postal_code(self.cleaned_data["postal_code"])
        if postal_code is None:
            raise ValidationError(
                _("Code postal invalide : 5 chiffres, par exemple 45000."),
                code="invalid",
            )
        return postal_code


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

    last_name = NameField(label=capfirst(_("nom")))
    first_name = NameField(label=capfirst(_("prénom")))

    mobile = MobileField(
        label=capfirst(_("téléphone portable")), error_messages=AGENT_MOBILE_ERRORS
    )
    flag = forms.BooleanField(
        label=_("Signaler le numéro comme douteux"), required=False
    )
    flag_note = TextareaField(
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


class SiteForm(forms.ModelForm):
    """A site whose name cannot fit an SMS whole (with the longest manage link, in
    every language) is refused: its SMS name must be short enough, or its name when
    it has no SMS name."""

    class Meta:
        model = Site
        fields = "__all__"  # noqa: DJ007 - the admin's whole site, as before

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.room = site_sms_name_room()
        if "sms_name" in self.fields:
            self.fields["sms_name"].help_text = _(
                "%(count)d caractères au plus : chaque SMS tient en 160 caractères, "
                "avec le lien de gestion du rendez-vous."
            ) % {"count": self.room}

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        sms_name = cleaned.get("sms_name") or ""
        length = site_sms_name_length(name=cleaned.get("name") or "", sms_name=sms_name)
        if length <= self.room:
            return cleaned
        if sms_name:
            message = _(
                "Ce nom court ne tient pas dans un SMS avec le lien de gestion du "
                "rendez-vous : %(count)d caractères au plus (il en compte %(length)d)."
            )
        else:
            message = _(
                "Le nom du lieu ne tient pas dans un SMS avec le lien de gestion du "
                "rendez-vous : indiquez un nom court de %(count)d caractères au plus."
            )
        self.add_error(
            "sms_name",
            forms.ValidationError(
                message,
                code="too_long_for_sms",
                params={"count": self.room, "length": length},
            ),
        )
        return cleaned


class ReasonForm(forms.Form):
    reason = TextareaField(
        label=_("Motif"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Gardé dans l’historique de la demande (300 caractères au plus)."),
    )


class PriorityForm(ReasonForm):
    level = forms.TypedChoiceField(
        label=_("Priorité"),
        choices=[(WaitingRequest.Priority.HIGH.value, WaitingRequest.Priority.HIGH.label),
                 (WaitingRequest.Priority.URGENT.value, WaitingRequest.Priority.URGENT.label)],
        coerce=int,
        widget=forms.RadioSelect,
    )  # fmt: skip

    field_order = ["level", "reason"]


class SlotAdminForm(forms.ModelForm):
    """A slot typed by hand: never on a public holiday, and never moved, nor shrunk
    below its appointments, under the applicants who booked it (they would not be
    told: the agenda's move and cancel tell them)."""

    class Meta:
        model = Slot
        fields = [
            "site",
            "procedure",
            "starts_at",
            "ends_at",
            "capacity",
            "published_at",
            "via_list",
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        starts_at = cleaned.get("starts_at")
        # A slot already on a holiday (made before this check) may still be edited.
        if starts_at is not None and "starts_at" in self.changed_data:
            day = timezone.localdate(starts_at)
            if rules.public_holiday_name(day):
                self.add_error(
                    "starts_at",
                    _("Le %(day)s est un jour férié : aucun créneau ce jour-là.")
                    % {"day": day.strftime("%d/%m/%Y")},
                )
        if self.instance.pk is None:
            return cleaned
        booked = selectors.slot_confirmed_count(slot_id=self.instance.pk)
        if not booked:
            return cleaned
        moved = {"starts_at", "ends_at", "site", "procedure"} & set(self.changed_data)
        if moved:
            raise ValidationError(
                ngettext(
                    "%(count)d rendez-vous est pris sur ce créneau : il ne peut pas "
                    "changer d’heure, de site ni de démarche sans que l’usager le "
                    "sache. Ouvrez un autre créneau, puis déplacez ou annulez le "
                    "rendez-vous depuis l’agenda (l’usager est prévenu).",
                    "%(count)d rendez-vous sont pris sur ce créneau : il ne peut pas "
                    "changer d’heure, de site ni de démarche sans que les usagers le "
                    "sachent. Ouvrez un autre créneau, puis déplacez ou annulez les "
                    "rendez-vous depuis l’agenda (les usagers sont prévenus).",
                    booked,
                )
                % {"count": booked}
            )
        capacity = cleaned.get("capacity")
        if capacity is not None and capacity < booked:
            self.add_error(
                "capacity",
                ngettext(
                    "%(count)d rendez-vous est déjà pris : la capacité ne peut pas "
                    "descendre en dessous.",
                    "%(count)d rendez-vous sont déjà pris : la capacité ne peut pas "
                    "descendre en dessous.",
                    booked,
                )
                % {"count": booked},
            )
        return cleaned
