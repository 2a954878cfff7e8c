"""A batch of cards received from production (CONTRACT: `cards_ready FILE.csv`, header
numero_etranger,nom,prenom,telephone,site): each card is created if unknown and marked
ready, which sends its SMS; running the same file again sends nothing new."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from booking import rules
from booking.csv_rows import csv_rows
from booking.models import Card, Site
from booking.phone import InvalidPhone, NotAMobile, normalize_mobile
from booking.services.cards import card_mark_ready

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


def _site_for(name: str, sites: list[Site]) -> Site:
    wanted = name.strip().casefold()
    if not wanted:
        return sites[0]
    for site in sites:
        if wanted in (site.name.casefold(), site.sms_name.casefold(), str(site.pk)):
            return site
    raise ValueError(
        _("site : lieu inconnu « %(site)s »") % {"site": name.strip()[:60]}
    )


def _parse(row: dict, sites: list[Site]) -> Card:
    try:
        numero = rules.normalize_numero_etranger(row["numero_etranger"] or "")
    except rules.InvalidNumero:
        raise ValueError(
            _("numero_etranger : 10 chiffres attendus (9 pour une carte d’avant 2017)")
        ) from None
    try:
        mobile = normalize_mobile(row["telephone"] or "")
    except NotAMobile:
        raise ValueError(
            _("telephone : numéro fixe, un SMS ne peut pas y être reçu")
        ) from None
    except InvalidPhone:
        raise ValueError(_("telephone : numéro de portable invalide")) from None
    return Card(
        numero_etranger=numero,
        last_name=(row["nom"] or "").strip()[:150],
        first_name=(row["prenom"] or "").strip()[:150],
        mobile=mobile,
        site=_site_for(row.get("site") or "", sites),
    )


def cards_ready_from_csv(*, data: bytes, by: str, now: datetime) -> BatchReport:
    """Raises CsvFileError for a broken file (nothing done then)."""
    sites = list(Site.objects.filter(is_active=True))
    report = BatchReport()
    parsed: dict[str, Card] = {}
    for line, row in csv_rows(data, required=REQUIRED, columns=COLUMNS):
        if None in row:
            report.rejected.append((line, _("trop de colonnes")))
            continue
        if not sites:
            report.rejected.append((line, _("site : aucun lieu d’accueil configuré")))
            continue
        try:
            card = _parse(row, sites)
        except ValueError as invalid:
            report.rejected.append((line, str(invalid)))
            continue
        if card.numero_etranger in parsed:
            report.rejected.append(
                (line, _("numero_etranger en double dans le fichier"))
            )
            continue
        parsed[card.numero_etranger] = card
    with transaction.atomic():
        existing = {
            card.numero_etranger: card
            for card in Card.objects.filter(
                numero_etranger__in=list(parsed), status__in=PENDING
            )
        }
        Card.objects.bulk_create(
            [card for numero, card in parsed.items() if numero not in existing]
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
