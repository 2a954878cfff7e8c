"""The provider's delivery-receipt webhook: authenticated by a shared secret (in the
URL given to Brevo, or as a bearer token), compared in constant time; 4xx for
anything forged or unknown. Brevo takes the receipts' address per message and sends
no header of ours, hence the secret in the URL: the logs redact it
(prefecture/log_redaction.py)."""

import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from booking.services.outbox import UnknownMessage, receipt_apply


def _authenticated(request: HttpRequest, secret: str) -> bool:
    expected = settings.SMS_WEBHOOK_SECRET
    if not expected:
        return False  # receipts are off until a secret is configured
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return constant_time_compare(secret, expected) or constant_time_compare(
        bearer, expected
    )


@csrf_exempt  # a server-to-server call, authenticated by the shared secret
@require_POST
def sms_receipt(request: HttpRequest, secret: str) -> JsonResponse:
    if not _authenticated(request, secret):
        return JsonResponse({"detail": "forbidden"}, status=403)
    if len(request.body) > 10_000:
        return JsonResponse({"detail": "too large"}, status=413)
    try:
        payload = json.loads(request.body)
        provider_id = str(payload["messageId"])
        status = str(payload["msg_status"])
    except (ValueError, KeyError, TypeError, RecursionError):
        return JsonResponse({"detail": "expected messageId and msg_status"}, status=400)
    if not (provider_id.isprintable() and status.isprintable()):
        return JsonResponse({"detail": "control character"}, status=400)
    try:
        new_status = receipt_apply(
            provider_id=provider_id[:64], provider_status=status, now=timezone.now()
        )
    except UnknownMessage:
        return JsonResponse({"detail": "unknown messageId"}, status=404)
    return JsonResponse({"status": new_status})
