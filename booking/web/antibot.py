"""Self-hosted proof of work (ALTCHA) on the confirmation step.

The browser solves a small hashing puzzle before the form is sent, which costs a
person nothing and a bot farm a lot; each puzzle is single-use (shared cache). Without
JavaScript there is no puzzle: the confirmation is still accepted, since the flow must
work without scripts, under a tighter per-IP limit (BOOKING_NO_PROOF_LIMIT)."""

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_altcha import AltchaField

FAILED = gettext_lazy(
    "La vérification anti-robot a échoué ou a expiré : rechargez la page et réessayez."
)


class ProofOfWorkField(AltchaField):
    default_error_messages = {"error": FAILED, "invalid": FAILED, "replay": FAILED}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("auto", "onload")
        kwargs.setdefault("hidefooter", True)
        kwargs.setdefault("hidelogo", True)
        # About 50,000 hashes on average: well under a second on a phone, a real
        # cost for a farm sending thousands of confirmations.
        kwargs.setdefault("maxnumber", 100_000)
        super().__init__(*args, **kwargs)

    def validate(self, value):
        if not value:
            return  # no JavaScript: the view applies the tighter limit instead
        super().validate(value)


def widget_strings() -> str:
    """The widget's own texts, in the page's language."""
    return json.dumps(
        {
            "label": _("Vérification anti-robot"),
            "verifying": _("Vérification en cours…"),
            "verified": _("Vérifié"),
            "error": _("La vérification a échoué. Réessayez."),
            "expired": _("La vérification a expiré. Réessayez."),
            "waitAlert": _("Vérification en cours… merci de patienter."),
        }
    )
