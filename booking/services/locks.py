"""The locks the writes share: the bookable slot's row, and PostgreSQL advisory locks
for what has no row to lock (the holds of an owner or of an address that do not exist
yet, the SMS sent to one number across bookings)."""

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Model, QuerySet
from django.utils.crypto import salted_hmac

from booking import rules
from booking.errors import SlotNotBookable
from booking.models import Procedure, Site, Slot
from booking.selectors import slot_is_closed
from prefecture.compiled_sql import CompiledQuery, Statement, run_together


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
    statement = advisory_locks_statement(*locks, new_id_of=new_id_of)
    if statement is None:
        return None
    [drawn] = run_together([statement])
    return drawn


def advisory_locks_statement(
    *locks: tuple[str, str], new_id_of: type[Model] | None = None
) -> Statement | None:
    """advisory_locks as a statement to send with others (None on SQLite); its
    reader gives the id drawn, or None."""
    if connection.vendor != "postgresql":
        return None
    keys = [_lock_key(scope, subject) for scope, subject in locks]
    calls = ["pg_advisory_xact_lock(%s)"] * len(keys)
    params: list[int | str] = list(keys)
    if new_id_of is not None:
        calls.append("nextval(pg_get_serial_sequence(%s, %s))")
        params += [new_id_of._meta.db_table, str(new_id_of._meta.pk.column)]
    # A target list is evaluated left to right: the locks are taken in order.
    return Statement(
        f"SELECT {', '.join(calls)}",
        tuple(params),
        lambda rows: rows[0][-1] if new_id_of is not None else None,
    )


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
    [slot] = run_together([slot_lock_statement(slot_id=slot_id, procedure=procedure)])
    return slot_bookable(slot, slot_id=slot_id, procedure=procedure, now=now)


def slot_lock_statement(*, slot_id: int, procedure: Procedure) -> Statement:
    """slot_lock_bookable's query, to send with others: its reader gives the slot
    (its site read with it) and whether a closure covers it, or None."""
    return _BOOKABLE_SLOT.statement(
        slot_id=slot_id, procedure_id=procedure.slots_procedure_id
    ).then(_slot_of)


def slot_bookable(
    found: tuple[Slot, bool] | None,
    *,
    slot_id: int,
    procedure: Procedure,
    now: datetime,
) -> Slot:
    """The slot slot_lock_statement read, if the démarche offers it now; raises
    SlotNotBookable otherwise."""
    if found is None:
        raise SlotNotBookable(slot_id)
    slot, closed = found
    if (
        closed
        or slot.published_at > now
        or not rules.is_bookable(slot.starts_at, window=_window(procedure), now=now)
    ):
        raise SlotNotBookable(slot_id)
    return slot


_SLOT_FIELDS = tuple(f.attname for f in Slot._meta.concrete_fields)
_SITE_FIELDS = tuple(f.attname for f in Site._meta.concrete_fields)


def _bookable_slot(*, slot_id: int, procedure_id: int) -> QuerySet:
    # Only the slot's row is locked: its site is read, not written.
    return (
        Slot.objects.select_for_update(of=("self",))
        .filter(pk=slot_id, procedure_id=procedure_id, via_list=False)
        .annotate(closed=slot_is_closed())
        .order_by()
        .values_list(
            *_SLOT_FIELDS, *(f"site__{name}" for name in _SITE_FIELDS), "closed"
        )
    )


# Compiled once per process: the query is the same for every slot (1.7 ms of CPU
# a booking and a hold, each compiling it inside the slot's lock).
_BOOKABLE_SLOT = CompiledQuery(_bookable_slot, slot_id=int, procedure_id=int)


def _slot_of(rows: list[dict]) -> tuple[Slot, bool] | None:
    if not rows:
        return None
    [row] = rows
    slot = Slot.from_db(connection.alias, _SLOT_FIELDS, [row[n] for n in _SLOT_FIELDS])
    slot.site = Site.from_db(
        connection.alias, _SITE_FIELDS, [row[f"site__{n}"] for n in _SITE_FIELDS]
    )
    return slot, row["closed"]
