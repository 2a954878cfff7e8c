"""The public JSON API (CONTRACT: /api/v1/creneaux), documented by its OpenAPI schema
at /api/v1/openapi.json."""

import re

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from booking import availability, selectors
from booking.availability import FreeSlot
from booking.models import Procedure

api = NinjaAPI(
    title="Préfecture du Loiret — rendez-vous",
    version="1",
    description="Créneaux libres des démarches au guichet.",
    urls_namespace="api",
    docs_url=None,  # the interactive docs load scripts from a CDN, which the CSP forbids
)


SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")


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
        raise HttpError(404, _("Démarche inconnue ou sans rendez-vous au guichet."))
    return HttpResponse(
        availability.free_slots_json(procedure=procedure, now=timezone.now()),
        content_type="application/json",
    )
