"""Demo data for `make run`: a site, the démarches and their channels, a month of
slots, a démarche whose places all go through the waiting list, and a few register
entries a newcomer can book (or join the list) with. Idempotent."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import holidays
from django.db import transaction
from django.utils import timezone

from booking import rules
from booking.models import Card, Procedure, Site, Slot, TitleRecord, WaitingMode
from booking.services.slots import slots_via_list

COUNTER = Procedure.ChannelChoice.COUNTER
ONLINE = Procedure.ChannelChoice.ONLINE
COLLECTION = Procedure.ChannelChoice.COLLECTION
WAITING_LIST_DEMO = "renouvellement-liste"

RENEWAL_DOCUMENTS_FR = """- votre titre de séjour actuel (original) ;
- votre passeport en cours de validité ;
- un justificatif de domicile de moins de 6 mois ;
- 3 photographies d'identité récentes ;
- les justificatifs propres à votre situation (contrat de travail, inscription, etc.)."""
RENEWAL_DOCUMENTS_EN = """- your current residence permit (original);
- your valid passport;
- proof of address less than 6 months old;
- 3 recent passport photos;
- the documents for your situation (employment contract, enrolment, etc.)."""

# slug, French name, English name, channel, url, books as (slug)
# (WAITING_LIST_DEMO is in "liste" mode: every place offered through the waiting list)
PROCEDURES = [
    ("renouvellement", "Renouvellement de titre de séjour", "Residence permit renewal", COUNTER, "", None),
    ("renouvellement-liste", "Renouvellement de carte de résident (places sur liste d'attente)", "Resident card renewal (places through the waiting list)", COUNTER, "", None),
    ("changement-de-statut", "Changement de statut (par exemple étudiant vers salarié)", "Change of status (for example student to employee)", COUNTER, "", "renouvellement"),
    ("etudiant-recherche-emploi-creation-entreprise", "Carte étudiant recherche d'emploi / création d'entreprise, APS Master", "Student card for job search / starting a business, APS Master", COUNTER, "", "renouvellement"),
    ("renouvellement-courrier-sans-convocation", "Renouvellement envoyé par courrier, sans convocation reçue", "Renewal sent by post, no appointment letter received", COUNTER, "", "renouvellement"),
    ("renouvellement-recepisse", "Renouvellement de récépissé", "Renewal of a récépissé (receipt)", ONLINE, rules.ANEF_URL, None),
    ("changement-adresse", "Changement d'adresse", "Change of address", ONLINE, rules.ANEF_URL, None),
    ("duplicata", "Duplicata (titre perdu ou volé)", "Duplicate (lost or stolen permit)", ONLINE, rules.ANEF_URL, None),
    ("dcem", "Document de circulation pour étranger mineur (DCEM)", "Travel document for a foreign minor (DCEM)", ONLINE, rules.ANEF_URL, None),
    ("premiere-demande", "Première demande de titre de séjour", "First residence permit application", ONLINE, rules.FIRST_REQUEST_URL, None),
    ("premiere-demande-courrier-sans-convocation", "Première demande envoyée par courrier, sans convocation reçue", "First application sent by post, no appointment letter received", ONLINE, rules.FIRST_REQUEST_URL, None),
    ("retrait-titre", "Retrait de mon titre de séjour (SMS reçu)", "Collecting my residence permit (text message received)", COLLECTION, "", None),
]  # fmt: skip


@dataclass(frozen=True)
class DemoTitle:
    typed: str  # what the newcomer types (9 digits for a pre-2017 card)
    valid_until: date
    postal_code: str
    title_type: str


DEMO_TITLES = [
    DemoTitle("208006503", date(2028, 3, 31), "45000", TitleRecord.TitleType.CARTE_RESIDENT),
    DemoTitle("4512345678", date(2027, 6, 30), "45100", TitleRecord.TitleType.CARTE_SEJOUR),
    DemoTitle("4598765432", date(2027, 9, 15), "45140", TitleRecord.TitleType.VLS_TS),
    DemoTitle("4511122233", date(2027, 1, 31), "45000", TitleRecord.TitleType.RECEPISSE),
]  # fmt: skip

SLOT_TIMES = [
    time(9, 0),
    time(9, 30),
    time(10, 0),
    time(10, 30),
    time(11, 0),
    time(11, 30),
]


DEMO_CARDS = [
    ("4512345678", "Nguyen", "Linh", "+33612345678", "fr"),
    ("4598765432", "Okafor", "Chidi", "+447911123456", "en"),
    ("4533344455", "Benali", "Yasmine", "+590690123456", "fr"),
]


@dataclass
class DemoReport:
    sites: int = 0
    procedures: int = 0
    slots: int = 0
    titles: int = 0
    cards: int = 0


@transaction.atomic
def booking_seed_demo(*, now: datetime, days: int = 30) -> DemoReport:
    report = DemoReport()
    site, created = Site.objects.get_or_create(
        name="Préfecture du Loiret — Orléans",
        defaults={
            "address": "181 rue de Bourgogne\n45000 Orléans",
            "opening_hours_fr": "Accueil et point numérique : du lundi au vendredi, "
            "de 9h à 12h et de 13h30 à 16h.",
            "opening_hours_en": "Front desk and digital help point: Monday to Friday, "
            "9am–12pm and 1:30pm–4pm.",
        },
    )
    report.sites += created
    if not site.sms_name:
        site.sms_name = "Préfecture Orléans"
        site.save(update_fields=["sms_name"])
    by_slug: dict[str, Procedure] = {}
    for position, (slug, name_fr, name_en, channel, url, books_as) in enumerate(
        PROCEDURES, start=1
    ):
        procedure, created = Procedure.objects.get_or_create(
            slug=slug,
            defaults={
                "name_fr": name_fr,
                "name_en": name_en,
                "channel": channel,
                "external_url": url,
                "booking_procedure": by_slug.get(books_as or ""),
                "position": position * 10,
                "instructions_fr": RENEWAL_DOCUMENTS_FR if channel == COUNTER else "",
                "instructions_en": RENEWAL_DOCUMENTS_EN if channel == COUNTER else "",
                # Created in "liste" mode; kept as the agents set it afterwards.
                "waiting_mode": WaitingMode.LIST
                if slug == WAITING_LIST_DEMO
                else WaitingMode.DIRECT,
            },
        )
        by_slug[slug] = procedure
        report.procedures += created
    report.slots = _seed_slots(site, by_slug["renouvellement"], now=now, days=days)
    report.slots += _seed_slots(site, by_slug[WAITING_LIST_DEMO], now=now, days=days)
    for title in DEMO_TITLES:
        _record, created = TitleRecord.objects.get_or_create(
            numero_etranger=rules.normalize_numero_etranger(title.typed),
            defaults={
                "valid_until": title.valid_until,
                "postal_code": title.postal_code,
                "title_type": title.title_type,
            },
        )
        report.titles += created
    for numero, last_name, first_name, mobile, language in DEMO_CARDS:
        if not Card.objects.filter(numero_etranger=numero).exists():
            Card.objects.create(
                numero_etranger=numero,
                last_name=last_name,
                first_name=first_name,
                mobile=mobile,
                language=language,
                site=site,
            )
            report.cards += 1
    return report


def _seed_slots(site: Site, procedure: Procedure, *, now: datetime, days: int) -> int:
    today = timezone.localdate(now)
    closed = holidays.country_holidays("FR", years=[today.year, today.year + 1])
    existing = set(
        Slot.objects.filter(site=site, procedure=procedure).values_list(
            "starts_at", flat=True
        )
    )
    new = []
    for offset in range(1, days + 1):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5 or day in closed:
            continue
        for start in SLOT_TIMES:
            starts_at = timezone.make_aware(datetime.combine(day, start))
            if starts_at in existing:
                continue
            new.append(
                Slot(
                    site=site,
                    procedure=procedure,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=procedure.duration_minutes),
                    capacity=2,
                    published_at=now,
                )
            )
    # Kept for the waiting list as the démarche's mode says ("liste": all).
    slots_via_list(procedure=procedure, slots=new)
    Slot.objects.bulk_create(new)
    return len(new)
