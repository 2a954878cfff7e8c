"""The free slots of a démarche, as `/api/v1/creneaux` serves them and as the slot
page lists them, built once and kept in the shared cache: people and bots read these
lists, hardest on the day slots open, and building 5,000 rows for the API took a
quarter of a second (BENCHMARKS.md).

What was cached is served only while nothing changed: every hold, booking, move,
cancellation and slot edit bumps a version that the cached list must match, so an
applicant who just booked sees the place gone. What changes with the clock alone (a
slot's publication moment, a hold expiring, the minimum notice) shows within
AVAILABILITY_CACHE_SECONDS."""

from collections.abc import Callable
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from pydantic import BaseModel, TypeAdapter

from booking import cache_versions, selectors
from booking.models import Procedure, WaitingMode

VERSION_KEY = "availability:version"


class FreeSlot(BaseModel):
    id: int
    debut: datetime
    fin: datetime
    site: str
    places: int


_as_json = TypeAdapter(list[FreeSlot])


def changed() -> None:
    """Call it in the transaction that changes free places (booking.signals does on
    every save): the version moves once, when the change is committed (at once
    outside a transaction), before the request answers. A list built from the rows
    before the change is then never served again. (It used to move inside the
    transaction as well: that bought nothing, a list built between that move and the
    commit read the rows before the change too, and it was one more round trip to
    Redis while the slot's row stays locked.)"""
    connection = transaction.get_connection()
    # Once per transaction, however many changes it holds: not again if a move is
    # already due from this block or one around it (one from an inner block that is
    # over may still be rolled back with it: that one does not count).
    open_blocks = set(connection.savepoint_ids)
    if connection.in_atomic_block and any(
        func is _bump and sids <= open_blocks
        for sids, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_bump)


def _bump() -> None:
    cache_versions.bump(VERSION_KEY)


def _cached[T](key: str, build: Callable[[], T]) -> T:
    """``build()``, or what it gave earlier under ``key`` if no place changed since
    (same version) and at most AVAILABILITY_CACHE_SECONDS ago."""
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY, 0)
    if key in found and found[key][0] == version:
        return found[key][1]
    value = build()
    cache.set(key, (version, value), settings.AVAILABILITY_CACHE_SECONDS)
    return value


def free_slots_json(*, procedure: Procedure, now: datetime) -> bytes:
    """The démarche's free slots as JSON, earliest first."""
    return _cached(
        f"availability:api:{procedure.pk}",
        lambda: _build_json(procedure=procedure, now=now),
    )


def procedure_complet(*, procedure: Procedure, now: datetime) -> bool:
    """No place free nor held for self-service (a démarche given only through the
    waiting list is never "complet": its places are not shown). Shared through the
    cache: in a rush every late applicant asks it at the gate."""
    if procedure.waiting_mode == WaitingMode.LIST:
        return False
    return not _cached(
        f"availability:has-place:{procedure.pk}",
        lambda: selectors.procedure_has_place(procedure=procedure, now=now),
    )


def slot_day_html(
    *,
    procedure: Procedure,
    now: datetime,
    day: date | None,
    exclude_hold_token: str = "",
) -> SafeString:
    """One day of the slot list, as HTML: the day, the links to the other days and
    that day's radios ("" when no slot is open). Everyone sees the same list, so it
    is shared through the cache; except an applicant holding a place, whose own
    place counts as free for them alone."""

    def build() -> str:
        listed = selectors.slot_day_open(
            procedure=procedure, now=now, day=day, exclude_hold_token=exclude_hold_token
        )
        if listed.shown is None:
            return ""
        return str(render_to_string("booking/_slot_day.html", {"listed": listed}))

    if exclude_hold_token:
        html = build()
    else:
        # The words (day names, "places") are in the page's language.
        key = f"availability:day:{procedure.pk}:{day or ''}:{get_language()}"
        html = _cached(key, build)
    return mark_safe(html)  # noqa: S308 (our template's output)


def _build_json(*, procedure: Procedure, now: datetime) -> bytes:
    tz = timezone.get_current_timezone()
    rows = [
        {
            "id": pk,
            "debut": starts_at.astimezone(tz),
            "fin": ends_at.astimezone(tz),
            "site": site,
            "places": free,
        }
        for pk, starts_at, ends_at, site, free in selectors.slot_list_open(  # type: ignore[misc]  # "free" is the selector's annotation
            procedure=procedure, now=now
        ).values_list("pk", "starts_at", "ends_at", "site__name", "free")
    ]
    # Validated and written by pydantic's compiled core, not item by item in Python.
    return _as_json.dump_json(_as_json.validate_python(rows))
