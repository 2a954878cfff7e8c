"""Cards: marking them ready writes their "carte disponible" SMS in the same
transaction (the outbox), so a card is never ready without its message."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from booking.models import Card, CardEvent, OutgoingMessage
from booking.services.messages import enqueue_after_commit, first_sending_time
from booking.sms import texts


@dataclass
class ReadyReport:
    ready: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)


def card_ready_key(card_id: int) -> str:
    return f"card:{card_id}:ready"


def card_mark_ready(*, card_ids: list[int], by: str, now: datetime) -> ReadyReport:
    """Marks cards ready and writes one "carte disponible" SMS each, in one
    transaction and in bulk; a card already ready (or marked twice at once) sends
    nothing new: the cards are locked, and each message has a unique key."""
    report = ReadyReport()
    with transaction.atomic():
        cards = list(
            Card.objects.select_for_update(of=("self",))
            .select_related("site")
            .filter(pk__in=card_ids)
            .order_by("pk")  # a fixed lock order: no deadlock between two agents
        )
        to_mark = [c for c in cards if c.status == Card.Status.IN_PRODUCTION]
        report.already = [c.pk for c in cards if c.status != Card.Status.IN_PRODUCTION]
        for card in to_mark:
            card.status = Card.Status.READY
            card.ready_at = now
        Card.objects.bulk_update(to_mark, ["status", "ready_at", "updated_at"])
        CardEvent.objects.bulk_create(
            CardEvent(card=card, kind=CardEvent.Kind.READY, actor=by)
            for card in to_mark
        )
        send_after = first_sending_time(now)
        messages = [
            OutgoingMessage(
                idempotency_key=card_ready_key(card.pk),
                kind=OutgoingMessage.Kind.CARD_READY,
                card=card,
                to=card.mobile,
                body=texts.card_ready(
                    site=card.site.short_name, language=card.language
                ),
                send_after=send_after,
            )
            for card in to_mark
        ]
        OutgoingMessage.objects.bulk_create(messages, ignore_conflicts=True)
        ids = list(
            OutgoingMessage.objects.filter(
                idempotency_key__in=[m.idempotency_key for m in messages],
                status=OutgoingMessage.Status.PENDING,
                send_after__lte=now,
            ).values_list("pk", flat=True)
        )
        enqueue_after_commit(ids)
        report.ready = [card.pk for card in to_mark]
    return report
