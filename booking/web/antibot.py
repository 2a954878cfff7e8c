"""Self-hosted proof of work (ALTCHA) on the confirmation step.

The browser solves a small hashing puzzle before the form is sent, which costs a
person nothing and a bot farm a lot; each puzzle is single-use (shared cache). Without
JavaScript there is no puzzle: the confirmation is still accepted, since the flow must
work without scripts, under a tighter per-IP limit (BOOKING_NO_PROOF_LIMIT)."""

import base64
import json

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_altcha import AltchaField, get_cache, get_challenge_expire_seconds

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

    def replay_attack_protection(self, payload):
        """Marks the challenge used in the same command that checks it was not (SET
        NX): one round trip instead of a read and a write, and two requests sending
        the same solution at once cannot both pass."""
        try:
            challenge = json.loads(base64.b64decode(payload).decode())["challenge"]
        except (ValueError, KeyError, TypeError) as error:
            raise forms.ValidationError(
                self.error_messages["error"], code="error"
            ) from error
        if not get_cache().add(challenge, True, timeout=get_challenge_expire_seconds()):
            raise forms.ValidationError(self.error_messages["replay"], code="invalid")


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
