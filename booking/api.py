"""The public JSON API (CONTRACT: /api/v1/creneaux), documented by its OpenAPI schema
at /api/v1/openapi.json."""

import re
from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from booking import selectors
from booking.models import Procedure

api = NinjaAPI(
    title="Préfecture du Loiret — rendez-vous",
    version="1",
    description="Créneaux libres des démarches au guichet.",
    urls_namespace="api",
    docs_url=None,  # the interactive docs load scripts from a CDN, which the CSP forbids
)


SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")


class FreeSlot(Schema):
    id: int
    debut: datetime
    fin: datetime
    site: str
    places: int


class Problem(Schema):
    detail: str


@api.get(
    "/creneaux",
    response={200: list[FreeSlot], 404: Problem},
    summary="Créneaux libres d'une démarche",
)
def creneaux(request: HttpRequest, demarche: str):
    """Free slots of a counter démarche (its slug), earliest first; the same ``id`` is
    what the booking flow's slot choice submits."""
    procedure = (
        selectors.procedure_list_offered()
        .filter(slug=demarche, channel=Procedure.ChannelChoice.COUNTER)
        .first()
        if SLUG.fullmatch(demarche)
        else None
    )
    if procedure is None:
        raise HttpError(404, "Démarche inconnue ou sans rendez-vous au guichet.")
    slots = selectors.slot_list_open(procedure=procedure, now=timezone.now())
    # Plain rows, and the time zone looked up once: with thousands of open slots,
    # model instances and a localtime() per field were most of the request
    # (BENCHMARKS.md); the response schema still validates every item.
    tz = timezone.get_current_timezone()
    return [
        {
            "id": pk,
            "debut": starts_at.astimezone(tz),
            "fin": ends_at.astimezone(tz),
            "site": site,
            "places": free,
        }
        for pk, starts_at, ends_at, site, free in slots.values_list(  # type: ignore[misc]  # "free" is the selector's annotation
            "pk", "starts_at", "ends_at", "site__name", "free"
        )
    ]
