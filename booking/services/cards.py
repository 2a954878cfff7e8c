"""Cards: marking them ready writes their "carte disponible" SMS in the same
transaction (the outbox), so a card is never ready without its message."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import holidays
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from booking import rules
from booking.errors import HandoverRefused
from booking.models import Card, CardEvent, ClosureDay, OutgoingMessage, Site
from booking.phone import normalize_mobile
from booking.rules import in_collection_window
from booking.services.csv_rows import BadCell, Cells, parse_csv
from booking.services.history import fields_update
from booking.services.outbox import enqueue_after_commit, first_sending_time
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
            card.updated_at = now
        # One UPDATE for the batch, on rows locked above: bulk_update's CASE per row
        # made marking 10,000 cards take minutes (BENCHMARKS.md).
        Card.objects.filter(pk__in=[c.pk for c in to_mark]).update(
            status=Card.Status.READY, ready_at=now, updated_at=now
        )
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


def closed_days_for(site_id: int, *, around: datetime) -> set[date]:
    """French public holidays and the site's closure days, near ``around``."""
    year = around.year
    closed = set(holidays.country_holidays("FR", years=[year - 1, year, year + 1]))
    # Collection is in the morning: an afternoon-only closure does not stop it.
    closed |= set(
        ClosureDay.objects.filter(site_id=site_id)
        .exclude(period=ClosureDay.Period.AFTERNOON)
        .values_list("day", flat=True)
    )
    return closed


def card_hand_over(
    *, card_id: int, by: str, now: datetime, override_reason: str = ""
) -> Card:
    """Records the handover of a ready card to its holder. Refused (HandoverRefused,
    nothing written) when no "carte disponible" SMS went out, or outside Monday–Friday
    9:00–12:00 Paris time, public holidays and closure days — unless a supervisor
    gives a written reason, kept in the audit trail."""

    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card_id)
        if card.status != Card.Status.READY:
            raise HandoverRefused(
                _("Ce titre n’est pas disponible (statut : %(status)s).")
                % {"status": card.get_status_display()}
            )
        refusals = []
        notified = card.messages.filter(
            kind=OutgoingMessage.Kind.CARD_READY,
            status__in=[OutgoingMessage.Status.SENT, OutgoingMessage.Status.DELIVERED],
        ).exists()
        if not notified:
            refusals.append(
                _("aucun SMS « titre disponible » n’a été envoyé pour ce titre")
            )
        closed = closed_days_for(card.site_id, around=now)
        if not in_collection_window(now, closed, tz=timezone.get_default_timezone()):
            refusals.append(
                _(
                    "la remise se fait du lundi au vendredi de 9h à 12h, hors jours fériés et fermetures"
                )
            )
        if refusals and not override_reason.strip():
            raise HandoverRefused("; ".join(refusals))
        card.status = Card.Status.HANDED_OVER
        card.handed_over_at = now
        card.save(update_fields=["status", "handed_over_at", "updated_at"])
        CardEvent.objects.create(
            card=card,
            kind=CardEvent.Kind.OVERRIDE if refusals else CardEvent.Kind.HANDED_OVER,
            actor=by,
            detail={"reason": override_reason.strip(), "refusals": refusals}
            if refusals
            else {},
        )
    return card


def cards_remind(*, now: datetime) -> int:
    """A card ready and not collected gets a reminder every CARD_REMINDER_AFTER_DAYS
    days after its SMS, CARD_REMINDER_MAX at most; same outbox, same rules."""
    every = timedelta(days=settings.CARD_REMINDER_AFTER_DAYS)
    count = 0
    waiting = Card.objects.filter(
        status=Card.Status.READY, ready_at__lte=now - every
    ).select_related("site")
    for card in waiting:
        sent = card.messages.filter(kind=OutgoingMessage.Kind.CARD_REMINDER).count()
        next_due = (card.ready_at or now) + every * (sent + 1)
        if sent >= settings.CARD_REMINDER_MAX or now < next_due:
            continue
        with transaction.atomic():
            message, created = OutgoingMessage.objects.get_or_create(
                idempotency_key=f"card:{card.pk}:reminder:{sent + 1}",
                defaults={
                    "kind": OutgoingMessage.Kind.CARD_REMINDER,
                    "card": card,
                    "to": card.mobile,
                    "body": texts.card_reminder(
                        site=card.site.short_name, language=card.language
                    ),
                    "send_after": first_sending_time(now),
                },
            )
            if created and message.send_after <= now:
                enqueue_after_commit([message.pk])
        count += created
    return count


# The delivery list from production (CONTRACT: `cards_ready FILE.csv`, header
# numero_etranger,nom,prenom,telephone,site): each card is created if unknown and marked
# ready, which sends its SMS; running the same file again sends nothing new.
COLUMNS = ["numero_etranger", "nom", "prenom", "telephone", "site"]
REQUIRED = ["numero_etranger", "nom", "prenom", "telephone"]
PENDING = [Card.Status.IN_PRODUCTION, Card.Status.READY]


@dataclass
class BatchReport:
    ready: int = 0
    already: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"ready {self.ready}, already {self.already}, rejected {len(self.rejected)}"
        )

    def words(self) -> str:
        """The summary for agents, in their language (the admin's delivery page);
        ``summary`` stays the command's CONTRACT output."""
        return ", ".join(
            [
                ngettext(
                    "%(count)d titre marqué disponible (SMS programmé)",
                    "%(count)d titres marqués disponibles (SMS programmés)",
                    self.ready,
                )
                % {"count": self.ready},
                ngettext(
                    "%(count)d déjà disponible ou remis (aucun SMS)",
                    "%(count)d déjà disponibles ou remis (aucun SMS)",
                    self.already,
                )
                % {"count": self.already},
                ngettext(
                    "%(count)d ligne refusée",
                    "%(count)d lignes refusées",
                    len(self.rejected),
                )
                % {"count": len(self.rejected)},
            ]
        )


def _site_for(name: str, sites: list[Site]) -> Site:
    if not sites:
        raise BadCell(_("site : aucun lieu d’accueil configuré"))
    wanted = name.casefold()
    if not wanted:
        return sites[0]
    for site in sites:
        if wanted in (site.name.casefold(), site.sms_name.casefold(), str(site.pk)):
            return site
    raise BadCell(_("site : lieu inconnu « %(site)s »") % {"site": name[:60]})


def _parse(cells: Cells, sites: list[Site]) -> Card:
    return Card(
        numero_etranger=cells.numero_etranger(),
        last_name=cells.name("nom"),
        first_name=cells.name("prenom"),
        mobile=cells.mobile(),
        site=_site_for(cells.text("site"), sites),
    )


def cards_ready_from_csv(*, data: bytes, by: str, now: datetime) -> BatchReport:
    """Raises CsvFileError for a broken file (nothing done then)."""
    sites = list(Site.objects.filter(is_active=True))
    good, bad = parse_csv(
        data,
        required=REQUIRED,
        columns=COLUMNS,
        parse=lambda cells: _parse(cells, sites),
        key=lambda card: card.numero_etranger,
        key_column="numero_etranger",
    )
    report = BatchReport(rejected=bad)
    parsed = {card.numero_etranger: card for _line, card in good}
    with transaction.atomic():
        existing = {
            card.numero_etranger: card
            for card in Card.objects.filter(
                numero_etranger__in=list(parsed), status__in=PENDING
            )
        }
        created = Card.objects.bulk_create(
            [card for numero, card in parsed.items() if numero not in existing]
        )
        # A card first known from the delivery list has its CREATED event too, as one
        # added in the admin (card_create).
        CardEvent.objects.bulk_create(
            CardEvent(card=card, kind=CardEvent.Kind.CREATED, actor=by)
            for card in created
        )
        ids = list(
            Card.objects.filter(
                numero_etranger__in=list(parsed), status__in=PENDING
            ).values_list("pk", flat=True)
        )
        marked = card_mark_ready(card_ids=ids, by=by, now=now)
    report.ready = len(marked.ready)
    report.already = len(marked.already)
    return report


def card_create(
    *,
    numero_etranger: str,
    last_name: str,
    first_name: str,
    mobile: str,
    language: str,
    site_id: int,
    by: str,
) -> Card:
    """An agent records a card in production, with its CREATED audit event. Raises
    InvalidNumero, InvalidPhone or NotAMobile (nothing written); the database refuses
    a second card in the pipeline for the same numéro étranger."""
    card = Card(
        numero_etranger=rules.normalize_numero_etranger(numero_etranger),
        last_name=last_name.strip()[:150],
        first_name=first_name.strip()[:150],
        mobile=normalize_mobile(mobile),
        language=language,
        site_id=site_id,
    )
    with transaction.atomic():
        card.save()
        CardEvent.objects.create(card=card, kind=CardEvent.Kind.CREATED, actor=by)
    return card


def card_update_contact(
    *,
    card_id: int,
    by: str,
    last_name: str,
    first_name: str,
    mobile: str,
    language: str,
) -> Card:
    """An agent corrects the holder's name or how to reach them; only these fields
    are written (a status changed meanwhile by a service is kept). The change and
    its author are kept in the card's history (django-simple-history). Raises
    InvalidPhone or NotAMobile (nothing written)."""
    fields = {
        "last_name": last_name.strip()[:150],
        "first_name": first_name.strip()[:150],
        "mobile": normalize_mobile(mobile),
        "language": language,
    }
    return fields_update(Card, pk=card_id, fields=fields, by=by)
