"""The links of the waiting list: the status page (with the same second factor as the
manage link) and an offer's page, each carrying its own random secret
(``WaitingRequest.token``, ``WaitingOffer.token``); the SMS carry their short form."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from booking.manage_links import is_token_shaped
from booking.models import WaitingOffer, WaitingRequest


def status_path(request: WaitingRequest) -> str:
    return status_path_of(request.token)


def status_path_of(token: str) -> str:
    """The status page of the waiting request whose token this is."""
    return reverse("booking:waiting_status", kwargs={"token": token})


def offer_path(offer: WaitingOffer) -> str:
    return reverse("booking:waiting_offer", kwargs={"token": offer.token})


def short_status_url(request: WaitingRequest) -> str:
    """/la/<token>/ under PUBLIC_BASE_URL, short enough for one SMS, in the
    request's language (/en/la/<token>/ in English)."""
    with translation.override(request.language):
        return settings.PUBLIC_BASE_URL + reverse(
            "waiting_short_status", kwargs={"token": request.token}
        )


def short_offer_url(offer: WaitingOffer) -> str:
    """/o/<token>/ under PUBLIC_BASE_URL, in the request's language (/en/o/...)."""
    with translation.override(offer.request.language):
        return settings.PUBLIC_BASE_URL + reverse(
            "waiting_short_offer", kwargs={"token": offer.token}
        )


def status_url(request: WaitingRequest) -> str:
    """The status page's address as e-mailed: absolute, in the request's language."""
    with translation.override(request.language):
        return settings.PUBLIC_BASE_URL + status_path(request)


def offer_url(offer: WaitingOffer) -> str:
    """The offer page's address as e-mailed: absolute, in the request's language."""
    with translation.override(offer.request.language):
        return settings.PUBLIC_BASE_URL + offer_path(offer)


def request_from_token(token: str) -> WaitingRequest | None:
    if not is_token_shaped(token):
        return None
    return (
        WaitingRequest.objects.select_related("procedure", "booking__slot__site")
        .filter(token=token)
        .first()
    )


def offer_from_token(token: str) -> WaitingOffer | None:
    if not is_token_shaped(token):
        return None
    return (
        WaitingOffer.objects.select_related(
            "slot__site", "request__procedure", "request__booking__slot__site"
        )
        .filter(token=token)
        .first()
    )
