"""Cards: marking them ready writes their "carte disponible" SMS in the same
transaction (the outbox), so a card is never ready without its message."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import holidays
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from booking import rules
from booking.errors import HandoverRefused
from booking.models import (
    Card,
    CardEvent,
    ClosureDay,
    OutgoingMessage,
    Site,
    TitleRecord,
)
from booking.phone import normalize_mobile
from booking.rules import in_collection_window
from booking.services.csv_rows import BadCell, Cells, parse_csv
from booking.services.history import fields_update
from booking.services.outbox import (
    enqueue_after_commit,
    first_sending_time,
    messages_retry,
)
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
        # One text per site and language: a delivery list's thousands of cards
        # share a handful (fitting each to its segment is not free).
        bodies: dict[tuple[str, str], str] = {}
        for card in to_mark:
            key = (card.site.short_name, card.language)
            if key not in bodies:
                bodies[key] = texts.card_ready(site=key[0], language=key[1])
        messages = [
            OutgoingMessage(
                idempotency_key=card_ready_key(card.pk),
                kind=OutgoingMessage.Kind.CARD_READY,
                card=card,
                to=card.mobile,
                body=bodies[(card.site.short_name, card.language)],
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
# ready, which sends its SMS; running the same file, or any earlier one, again sends
# nothing new (see cards_ready_from_csv for how a title is told from its renewal).
COLUMNS = ["numero_etranger", "nom", "prenom", "telephone", "site"]
REQUIRED = ["numero_etranger", "nom", "prenom", "telephone"]
PENDING = [Card.Status.IN_PRODUCTION, Card.Status.READY]
DONE = [Card.Status.HANDED_OVER, Card.Status.RETURNED]
# When the register gives no validity date to compare, an earlier card (handed over
# or returned) created less than this long ago is taken for the same title: the
# shortest card lasts a year and its renewal is asked for two months before the end
# at the earliest, so a renewed card is not produced sooner.
SAME_TITLE_WITHOUT_REGISTER = timedelta(days=300)
# The SMS a phone number change comes too late for.
GONE = [
    OutgoingMessage.Status.SENDING,
    OutgoingMessage.Status.SENT,
    OutgoingMessage.Status.DELIVERED,
]
# What the holder never received: after a number's correction it goes again.
NOT_RECEIVED = [OutgoingMessage.Status.FAILED, OutgoingMessage.Status.UNDELIVERED]


@dataclass
class BatchReport:
    ready: int = 0
    already: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Cards in the pipeline whose phone the list changes.
    phones: int = 0
    # Lines imported with something the agent should know (phone updated, title
    # already handed over), by line number.
    notices: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"ready {self.ready}, already {self.already}, rejected {len(self.rejected)}"
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
    last_name = cells.name("nom")
    if not last_name:  # the desk checks the holder's identity by it
        raise BadCell(_("nom : manquant"))
    return Card(
        numero_etranger=cells.numero_etranger(),
        last_name=last_name,
        first_name=cells.name("prenom"),
        mobile=cells.mobile(),
        site=_site_for(cells.text("site"), sites),
    )


def _register_dates(numeros: list[str]) -> dict[str, date]:
    """Each numéro's title validity date in the register (absent when unknown)."""
    return dict(
        TitleRecord.objects.filter(numero_etranger__in=numeros).values_list(
            "numero_etranger", "valid_until"
        )
    )


def same_title(card: Card, *, valid_until: date | None, now: datetime) -> bool:
    """Whether an earlier ``card`` is the title whose register date is
    ``valid_until`` (None: the register does not know it): the same validity date;
    without a date on either side, a card created less than
    SAME_TITLE_WITHOUT_REGISTER ago."""
    if card.title_valid_until is not None and valid_until is not None:
        return card.title_valid_until == valid_until
    return card.created_at >= now - SAME_TITLE_WITHOUT_REGISTER


def _done_notice(card: Card) -> str:
    if card.status == Card.Status.RETURNED:
        return _("titre déjà retourné : aucune nouvelle carte, aucun SMS")
    return _("titre déjà remis : aucune nouvelle carte, aucun SMS")


def _phone_notice(card: Card) -> str:
    """What a line's new phone does to the card's SMS (card_update_contact)."""
    status = (
        card.messages.filter(kind=OutgoingMessage.Kind.CARD_READY)
        .values_list("status", flat=True)
        .first()
    )
    if status in GONE:
        return _(
            "téléphone mis à jour ; le SMS « titre disponible » était déjà parti "
            "vers l’ancien numéro (il n’est pas renvoyé)"
        )
    if status in NOT_RECEIVED and card.status == Card.Status.READY:
        return _(
            "téléphone mis à jour ; le SMS « titre disponible », non reçu à "
            "l’ancien numéro, part vers le nouveau"
        )
    return _("téléphone mis à jour")


def cards_ready_read(
    data: bytes,
) -> tuple[list[tuple[int, Card]], list[tuple[int, str]]]:
    """Parses a delivery list (CSV or .xlsx): (line, unsaved card) for the good
    lines, (line, reason) for the refused ones. Raises CsvFileError for a broken
    file."""
    sites = list(Site.objects.filter(is_active=True))
    return parse_csv(
        data,
        required=REQUIRED,
        columns=COLUMNS,
        parse=lambda cells: _parse(cells, sites),
        key=lambda card: card.numero_etranger,
        key_column="numero_etranger",
    )


def cards_ready_lines(
    lines: list[tuple[int, Card]],
    report: BatchReport,
    *,
    by: str,
    now: datetime,
    write: bool,
) -> None:
    """Counts in ``report`` what these lines of a delivery list do, and does it when
    ``write`` (the preview reads only).

    A card is one title of one person: its numéro étranger and its title's validity
    date in the register (title_valid_until, copied when the card is created; the
    list itself names no title). A line creates no card and sends no SMS when that
    person has a card in the pipeline (marked ready at most once) or an earlier card
    of the same title handed over or returned (``same_title``: without a register
    date, one less than SAME_TITLE_WITHOUT_REGISTER old), so importing any earlier
    list again changes nothing. A renewal — a new validity date in the register, or
    no date and an older card — gets its card and SMS. A line whose phone differs
    from its card's in the pipeline updates it (card_update_contact, with its
    history; a pending SMS goes to the new number) and says so in ``notices``, as
    does a line of a title already handed over; an SMS already sent to the old
    number is not sent again (the notice says so)."""
    parsed = {card.numero_etranger: (line, card) for line, card in lines}
    numeros = list(parsed)
    register = _register_dates(numeros)
    with transaction.atomic():
        pending = {
            card.numero_etranger: card
            for card in Card.objects.filter(
                numero_etranger__in=numeros, status__in=PENDING
            )
        }
        done: dict[str, list[Card]] = {}
        for card in Card.objects.filter(
            numero_etranger__in=numeros, status__in=DONE
        ).order_by("-created_at"):
            done.setdefault(card.numero_etranger, []).append(card)
        new: list[Card] = []
        for numero, (line, card) in parsed.items():
            known = pending.get(numero)
            if known is not None:
                if known.mobile != card.mobile:
                    report.phones += 1
                    report.notices.append((line, _phone_notice(known)))
                    if write:
                        card_update_contact(
                            card_id=known.pk,
                            by=by,
                            last_name=known.last_name,
                            first_name=known.first_name,
                            mobile=card.mobile,
                            language=known.language,
                            now=now,
                        )
                continue
            valid_until = register.get(numero)
            earlier = next(
                (
                    c
                    for c in done.get(numero, [])
                    if same_title(c, valid_until=valid_until, now=now)
                ),
                None,
            )
            if earlier is not None:
                report.already += 1
                report.notices.append((line, _done_notice(earlier)))
                continue
            card.title_valid_until = valid_until
            new.append(card)
        if not write:
            waiting = [
                c for c in pending.values() if c.status == Card.Status.IN_PRODUCTION
            ]
            report.ready += len(new) + len(waiting)
            report.already += len(pending) - len(waiting)
            return
        created = Card.objects.bulk_create(new)
        # A card first known from the delivery list has its CREATED event too, as one
        # added in the admin (card_create).
        CardEvent.objects.bulk_create(
            CardEvent(card=card, kind=CardEvent.Kind.CREATED, actor=by)
            for card in created
        )
        ids = [card.pk for card in pending.values()] + [card.pk for card in created]
        marked = card_mark_ready(card_ids=ids, by=by, now=now)
    report.ready += len(marked.ready)
    report.already += len(marked.already)


def cards_ready_from_csv(*, data: bytes, by: str, now: datetime) -> BatchReport:
    """Creates the unknown cards of a delivery list (CSV or .xlsx) and marks them
    ready, each with one SMS (see cards_ready_lines), in one transaction. Raises
    CsvFileError for a broken file (nothing done then). Large files uploaded in the
    admin go through services.imports instead, batch by batch."""
    good, bad = cards_ready_read(data)
    report = BatchReport(rejected=bad)
    cards_ready_lines(good, report, by=by, now=now, write=True)
    report.notices.sort()
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
    """An agent records a card in production, with its CREATED audit event; its
    title is the register's validity date for the numéro (see cards_ready_from_csv).
    An agent may record a card of a title already handed over (a duplicate after a
    loss): the delivery list then marks it ready. Raises InvalidNumero, InvalidPhone
    or NotAMobile (nothing written); the database refuses a second card in the
    pipeline for the same numéro étranger."""
    numero = rules.normalize_numero_etranger(numero_etranger)
    card = Card(
        numero_etranger=numero,
        title_valid_until=_register_dates([numero]).get(numero),
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


@dataclass
class ContactUpdate:
    card: Card
    # The "titre disponible" SMS had failed or not arrived at the old number: it
    # goes again, to the new one.
    resent: bool = False


def card_update_contact(
    *,
    card_id: int,
    by: str,
    last_name: str,
    first_name: str,
    mobile: str,
    language: str,
    now: datetime,
) -> ContactUpdate:
    """An agent corrects the holder's name or how to reach them; only these fields
    are written (a status changed meanwhile by a service is kept). The change and
    its author are kept in the card's history (django-simple-history).

    Its SMS not yet sent (pending) go to the new number; one already with the
    provider is not sent again. The "titre disponible" SMS of a ready card that
    failed or did not arrive at another number goes again, to the new one (only
    those who received it may collect); a failed reminder gets the new number for
    an agent's retry. Raises InvalidPhone or NotAMobile (nothing written)."""
    fields = {
        "last_name": last_name.strip()[:150],
        "first_name": first_name.strip()[:150],
        "mobile": normalize_mobile(mobile),
        "language": language,
    }
    with transaction.atomic():
        card = fields_update(Card, pk=card_id, fields=fields, by=by)
        elsewhere = OutgoingMessage.objects.filter(
            card_id=card_id, channel=OutgoingMessage.Channel.SMS
        ).exclude(to=card.mobile)
        lost = (
            list(
                elsewhere.filter(
                    kind=OutgoingMessage.Kind.CARD_READY, status__in=NOT_RECEIVED
                ).values_list("pk", flat=True)
            )
            if card.status == Card.Status.READY
            else []
        )
        elsewhere.filter(
            status__in=[OutgoingMessage.Status.PENDING, *NOT_RECEIVED]
        ).update(to=card.mobile)
        resent = messages_retry(message_ids=lost, now=now) > 0
    return ContactUpdate(card=card, resent=resent)
