"""Crispy layout objects for the project-local DSFR pack (templates/crispy_dsfr/)."""

from crispy_forms import layout


class Submit(layout.Submit):
    """A DSFR primary button (crispy's own Submit carries Bootstrap classes)."""

    field_classes = "fr-btn"


class SecondarySubmit(layout.Submit):
    field_classes = "fr-btn fr-btn--secondary"
