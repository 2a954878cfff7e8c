"""Agents' corrections of a few fields of one row, their author kept in the row's
history (django-simple-history): the appointment's and the card's contact details."""

from collections.abc import Mapping

from django.db import models, transaction


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
