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
