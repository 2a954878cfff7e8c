"""The free slots of a démarche as `/api/v1/creneaux` serves them, built once and kept
in the shared cache: bots poll this list, hardest on the day slots open, and building
5,000 rows took a quarter of a second (BENCHMARKS.md).

What was cached is served only while nothing changed: every hold, booking, move,
cancellation and slot edit bumps a version that the cached list must match, so an
applicant who just booked sees the place gone. What changes with the clock alone (a
slot's publication moment, a hold expiring, the minimum notice) shows within
AVAILABILITY_CACHE_SECONDS."""

from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from pydantic import BaseModel, TypeAdapter

from booking import selectors
from booking.models import Procedure

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
    every save). Bumped now and again after the commit: a list built in between, from
    the rows before the change, is never served."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or the cache was emptied)
        cache.add(VERSION_KEY, 1, timeout=None)


def free_slots_json(*, procedure: Procedure, now: datetime) -> bytes:
    """The démarche's free slots as JSON, earliest first."""
    key = f"availability:api:{procedure.pk}"
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY, 0)
    if key in found and found[key][0] == version:
        return found[key][1]
    body = _build(procedure=procedure, now=now)
    cache.set(key, (version, body), settings.AVAILABILITY_CACHE_SECONDS)
    return body


def _build(*, procedure: Procedure, now: datetime) -> bytes:
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
