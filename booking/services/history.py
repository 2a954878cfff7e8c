"""Agents' corrections of a few fields of one row, their author kept in the row's
history (django-simple-history): the appointment's and the card's contact details;
and the history row of a new row written without save()."""

import functools
from collections.abc import Mapping
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import get_change_reason_from_object


def fields_update[M: models.Model](
    model: type[M], *, pk: int, fields: Mapping[str, object], by: str
) -> M:
    """Writes only ``fields`` on the locked row (a status or flag a service changed
    meanwhile is kept), with ``by`` as the history's change reason."""
    with transaction.atomic():
        row = model._default_manager.select_for_update().get(pk=pk)
        for name, value in fields.items():
            setattr(row, name, value)
        row._change_reason = by  # type: ignore[attr-defined]
        row.save(update_fields=[*fields, "updated_at"])
    return row


@functools.cache
def _history_model(model: type[models.Model]) -> Any:
    # The descriptor builds a new manager class at every access (a third of a
    # millisecond of each confirm, inside the slot's lock); the model is the same.
    return model.history.model  # type: ignore[attr-defined]


def creation_record(instance: models.Model) -> models.Model:
    """The history row ("+") django-simple-history's post_save writes for a new
    ``instance``, built and not written: for a row inserted without save()
    (services.one_statement), as its handler would build it (the agent from the
    request, none for an applicant; the change reason if one is set)."""
    history = _history_model(type(instance))
    return history(
        history_date=getattr(instance, "_history_date", timezone.now()),
        history_type="+",
        history_user=history.get_default_history_user(instance),
        history_change_reason=get_change_reason_from_object(instance),
        **{
            field.attname: getattr(instance, field.attname)
            for field in history.tracked_fields
        },
    )
