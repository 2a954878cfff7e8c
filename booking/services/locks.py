"""The locks the writes share: the bookable slot's row, and PostgreSQL advisory locks
for what has no row to lock (the holds of an owner or of an address that do not exist
yet, the SMS sent to one number across bookings)."""

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Model
from django.utils.crypto import salted_hmac

from booking import rules
from booking.errors import SlotNotBookable
from booking.models import Procedure, Slot
from booking.selectors import slot_is_closed


def advisory_lock(scope: str, subject: str) -> None:
    """Waits for the other transactions holding (scope, subject), then holds it until
    the commit. Callers take their locks in a fixed order, so two transactions never
    wait for each other. SQLite runs one writer at a time anyway."""
    advisory_locks((scope, subject))


def advisory_locks(
    *locks: tuple[str, str], new_id_of: type[Model] | None = None
) -> int | None:
    """advisory_lock for each (scope, subject), in this order, in one round trip;
    with ``new_id_of``, also draws the next id of that model's table in it, for a
    row written later with others in one statement (services.one_statement). None
    on SQLite (no sequence to draw from: the row is inserted alone there)."""
    if connection.vendor != "postgresql":
        return None
    keys = [_lock_key(scope, subject) for scope, subject in locks]
    calls = ["pg_advisory_xact_lock(%s)"] * len(keys)
    params: list[int | str] = list(keys)
    if new_id_of is not None:
        calls.append("nextval(pg_get_serial_sequence(%s, %s))")
        params += [new_id_of._meta.db_table, str(new_id_of._meta.pk.column)]
    with connection.cursor() as cursor:
        # A target list is evaluated left to right: the locks are taken in order.
        cursor.execute(f"SELECT {', '.join(calls)}", params)
        row = cursor.fetchone()
    return row[-1] if new_id_of is not None else None


def _lock_key(scope: str, subject: str) -> int:
    # Keyed (SECRET_KEY): the 64-bit key says nothing of a number or an address.
    digest = salted_hmac("booking.locks", f"{scope}:{subject}", algorithm="sha256")
    return int.from_bytes(digest.digest()[:8], "big", signed=True)


def _window(procedure: Procedure) -> rules.BookingWindow:
    return rules.BookingWindow(
        min_notice=timedelta(hours=procedure.min_notice_hours),
        max_horizon=timedelta(days=procedure.max_horizon_days),
    )


def slot_lock_bookable(*, slot_id: int, procedure: Procedure, now: datetime) -> Slot:
    """The slot's row, locked, if the démarche offers it now for self-service
    (published, not kept for the waiting list, not closed, inside its booking
    window), with its site (read in the same query: the SMS name it); raises
    SlotNotBookable otherwise."""
    slot = (
        # Only the slot's row is locked: its site is read, not written.
        Slot.objects.select_for_update(of=("self",))
        .select_related("site")
        .filter(pk=slot_id, procedure_id=procedure.slots_procedure_id, via_list=False)
        .annotate(closed=slot_is_closed())
        .first()
    )
    if (
        slot is None
        or slot.closed
        or slot.published_at > now
        or not rules.is_bookable(slot.starts_at, window=_window(procedure), now=now)
    ):
        raise SlotNotBookable(slot_id)
    return slot
