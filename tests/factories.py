import factory
from django.utils import timezone

from faq.models import Announcement, Category, Question


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"categorie-{n}")
    name_fr = factory.Sequence(lambda n: f"Catégorie {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    position = factory.Sequence(lambda n: n)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    category = factory.SubFactory(CategoryFactory)
    slug = factory.Sequence(lambda n: f"question-{n}")
    question_fr = factory.Sequence(lambda n: f"Comment faire la démarche {n} ?")
    question_en = factory.Sequence(lambda n: f"How do I do procedure {n}?")
    answer_fr = "Il faut **prendre rendez-vous**."
    answer_en = "You must **book an appointment**."
    position = factory.Sequence(lambda n: n)


class AnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Announcement

    title_fr = "Fermeture exceptionnelle"
    title_en = "Exceptional closure"
    text_fr = "L'accueil sera fermé le 2 janvier."
    text_en = "The front desk will be closed on 2 January."
    starts_at = factory.LazyFunction(
        lambda: timezone.now() - timezone.timedelta(days=1)
    )
    ends_at = None


# --- booking

import datetime as _dt  # noqa: E402

from booking.models import Booking, Procedure, Site, Slot, TitleRecord  # noqa: E402


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Préfecture du Loiret — site {n}")
    address = "181 rue de Bourgogne\n45000 Orléans"
    opening_hours_fr = "Accueil : du lundi au vendredi, de 9h à 12h."
    opening_hours_en = "Front desk: Monday to Friday, 9am to 12pm."


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure

    slug = factory.Sequence(lambda n: f"demarche-{n}")
    name_fr = factory.Sequence(lambda n: f"Démarche {n}")
    name_en = factory.Sequence(lambda n: f"Procedure {n}")
    channel = Procedure.ChannelChoice.COUNTER
    min_notice_hours = 2
    max_horizon_days = 60
    instructions_fr = "- votre passeport"


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    site = factory.SubFactory(SiteFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + _dt.timedelta(days=3)).replace(
            minute=0, second=0, microsecond=0
        )
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + _dt.timedelta(minutes=30))
    capacity = 1
    published_at = factory.LazyFunction(lambda: timezone.now() - _dt.timedelta(days=1))


class TitleRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TitleRecord

    numero_etranger = factory.Sequence(lambda n: f"45{n:08d}")
    valid_until = _dt.date(2027, 6, 30)
    postal_code = "45000"
    title_type = TitleRecord.TitleType.CARTE_SEJOUR


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    reference = factory.Sequence(lambda n: f"REF{n:05d}"[:8])
    slot = factory.SubFactory(SlotFactory)
    procedure = factory.LazyAttribute(lambda o: o.slot.procedure)
    numero_etranger = factory.Sequence(lambda n: f"46{n:08d}")
    last_name = "Diallo"
    first_name = "Awa"
    mobile = "+33612345678"


from booking.models import Card  # noqa: E402


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Card

    numero_etranger = factory.Sequence(lambda n: f"49{n:08d}")
    last_name = "Diallo"
    first_name = "Awa"
    mobile = "+33612345678"
    site = factory.SubFactory(SiteFactory)


from booking.models import WaitingRequest  # noqa: E402


class WaitingRequestFactory(factory.django.DjangoModelFactory):
    """A request on the waiting list; ``sites`` (a list) defaults to none: pass the
    sites the person can go to."""

    class Meta:
        model = WaitingRequest
        skip_postgeneration_save = True

    numero_etranger = factory.Sequence(lambda n: f"47{n:08d}")
    procedure = factory.SubFactory(ProcedureFactory)
    last_name = "Diallo"
    first_name = "Awa"
    mobile = factory.Sequence(lambda n: f"+3361{n:07d}")
    title_valid_until = _dt.date(2027, 6, 30)
    joined_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.set(extracted)
