"""Baselines (a) and (b): served only when the BENCH_VIEWS setting is on."""

import secrets

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from booking import rules
from booking.models import Booking, Slot


@require_safe
def minimal(request: HttpRequest) -> HttpResponse:
    """The framework ceiling: the middleware stack and a short response."""
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
@require_POST
def book(request: HttpRequest) -> HttpResponse:
    """The framework-plus-database ceiling of the confirm step: lock the slot row,
    insert a booking, update the slot; no session, no template, no model signals.
    The bookings are written "honoured" so that random numéros never meet the
    one-active-booking index (bench data, in the bench database only)."""
    try:
        slot_id = int(request.POST["slot"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest(b"slot")
    reference = "".join(secrets.choice(rules.REFERENCE_ALPHABET) for _ in range(8))
    with transaction.atomic():
        slot = Slot.objects.select_for_update().get(pk=slot_id)
        Booking.objects.bulk_create(
            [
                Booking(
                    reference=reference,
                    slot=slot,
                    procedure_id=slot.procedure_id,
                    numero_etranger=f"{secrets.randbelow(10**10):010d}",
                    last_name="Bench",
                    first_name="Bench",
                    mobile="+33600000000",
                    status=Booking.Status.HONOURED,
                )
            ]
        )
        Slot.objects.filter(pk=slot.pk).update(capacity=F("capacity"))
    return HttpResponse(reference.encode(), content_type="text/plain")
