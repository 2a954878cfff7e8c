"""The drawings of where the numéro étranger is (issue 16, item 8): shown right after
the seeded answer that promises them, each with a caption and a text alternative, in
French and in English; set by the seed and by the migration, kept off once an agent
removes them."""

import html
import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone, translation
from django.utils.translation import gettext

from faq.models import Question
from faq.services import faq_seed
from tests.factories import QuestionFactory

SLUG = "ou-trouver-mon-numero-etranger"
DRAWINGS = [
    "faq/numero-etranger/carte-sejour.svg",
    "faq/numero-etranger/carte-resident-avant-2017.svg",
    "faq/numero-etranger/vls-ts-vignette-ofii.svg",
    "faq/numero-etranger/recepisse.svg",
]
# The French texts (msgids) of the four drawings' alternatives, in the page's order.
ALTS_FR = [
    "Dessin d’une carte de séjour, recto et verso : au verso, le numéro étranger est "
    "encadré en haut à droite ; au recto, il est encadré à la verticale le long du "
    "bord droit, et le numéro de la carte, en haut à droite, est barré.",
    "Dessin du verso d’une carte de résident : le numéro étranger, de 9 chiffres, "
    "est encadré en haut à droite.",
    "Dessin d’un passeport ouvert : à gauche le visa, à droite la vignette OFII, sur "
    "laquelle le numéro étranger est encadré.",
    "Dessin d’un récépissé : la rubrique du numéro étranger est encadrée en haut de "
    "la page, sous le titre du document.",
]
FIGURE = re.compile(
    r'<figure[^>]*role="group" aria-labelledby="(?P<caption_id>[^"]+)">\s*'
    r'<img loading="lazy" src="(?P<src>[^"]+)" width="\d+" height="\d+" alt="(?P<alt>[^"]*)">\s*'
    r'<figcaption id="(?P<figcaption_id>[^"]+)"[^>]*>(?P<caption>.*?)</figcaption>',
    re.DOTALL,
)


def figures(page: str) -> list[dict[str, str]]:
    return [
        {key: html.unescape(value) for key, value in match.groupdict().items()}
        for match in FIGURE.finditer(page)
    ]


def words(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "language", "lead_in"),
    [
        ("", "fr", "Retrouvez ci-après son emplacement selon votre titre de séjour :"),
        ("/en", "en", "Here is where to find it, depending on your residence permit:"),
    ],
)
def test_the_seeded_answer_shows_the_four_drawings_right_after_it(
    client, prefix, language, lead_in
):
    faq_seed(now=timezone.now())

    response = client.get(f"{prefix}/faq/{SLUG}/")

    page = response.content.decode()
    assert response.status_code == 200
    found = figures(page)
    assert [figure["src"] for figure in found] == [f"/static/{d}" for d in DRAWINGS]
    with translation.override(language):
        assert [figure["alt"] for figure in found] == [gettext(a) for a in ALTS_FR]
    for figure in found:
        # The figure's name is its caption (RGAA 1.9), which says where to look.
        assert figure["caption_id"] == figure["figcaption_id"]
        assert figure["caption_id"].startswith(f"{SLUG}-legende-")
        assert len(words(figure["caption"])) > 40
    # "ci-après": the drawings follow the sentence that announces them, in the
    # opened answer.
    answer = page.index(f'id="reponse-{SLUG}"')
    assert (
        answer < page.index(html.escape(lead_in, quote=False)) < page.index("<figure")
    )
    assert page.count("<figure") == 4


@pytest.mark.django_db
def test_the_captions_say_where_the_number_is_on_each_title(client):
    faq_seed(now=timezone.now())

    captions = [
        words(f["caption"])
        for f in figures(client.get(f"/faq/{SLUG}/").content.decode())
    ]

    assert captions[0].startswith("Carte de séjour délivrée depuis 2017 Au verso")
    assert "pas votre numéro étranger" in captions[0]  # the card's own number
    assert "9 chiffres" in captions[1] and "tels quels" in captions[1]
    assert "vignette OFII" in captions[2] and "attestation de validation" in captions[2]
    assert "« N° étranger »" in captions[3]


@pytest.mark.django_db
def test_every_drawing_is_a_static_file_of_the_faq_app():
    for drawing in DRAWINGS:
        path = finders.find(drawing)
        assert path is not None, drawing
        assert "/faq/static/" in str(path)
        with open(path, encoding="utf-8") as svg:
            text = svg.read()
        assert text.startswith("<svg") and 'viewBox="' in text
        assert "<script" not in text and "<image" not in text  # drawn, no photo


@pytest.mark.django_db
def test_a_question_without_illustrations_shows_no_figure(client):
    QuestionFactory(slug="sans-dessin", answer_fr="Une réponse sans dessin.")

    page = client.get("/faq/sans-dessin/").content.decode()

    assert "Une réponse sans dessin." in page
    assert "<figure" not in page
    assert "faq/numero-etranger/" not in page


@pytest.mark.django_db
def test_an_agent_can_illustrate_any_question(client):
    QuestionFactory(
        slug="autre-question",
        illustrations=Question.Illustrations.NUMERO_ETRANGER,
    )

    found = figures(client.get("/faq/autre-question/").content.decode())

    assert len(found) == 4
    assert found[0]["caption_id"] == "autre-question-legende-carte-sejour"


@pytest.mark.django_db
def test_the_seed_illustrates_the_question_and_a_second_seed_changes_nothing():
    faq_seed(now=timezone.now())
    question = Question.objects.get(slug=SLUG)
    assert question.illustrations == Question.Illustrations.NUMERO_ETRANGER
    assert "ci-après" in question.answer_fr
    illustrated = set(
        Question.objects.exclude(illustrations="").values_list("slug", flat=True)
    )
    assert illustrated == {SLUG}

    second = faq_seed(now=timezone.now())

    assert second.questions == 0
    question.refresh_from_db()
    assert question.illustrations == Question.Illustrations.NUMERO_ETRANGER


@pytest.mark.django_db
def test_the_seed_does_not_bring_back_drawings_an_agent_removed(client):
    faq_seed(now=timezone.now())
    question = Question.objects.get(slug=SLUG)
    question.illustrations = Question.Illustrations.NONE
    question.save()

    faq_seed(now=timezone.now())

    question.refresh_from_db()
    assert question.illustrations == ""
    assert "<figure" not in client.get(f"/faq/{SLUG}/").content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_illustrates_a_question_seeded_before_it():
    before = ("faq", "0003_announcement_optional_start")
    after = ("faq", "0004_question_illustrations")
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([before])
        old_apps = executor.loader.project_state([before]).apps
        category = old_apps.get_model("faq", "Category").objects.create(
            slug="prendre-rendez-vous", name_fr="Prendre rendez-vous"
        )
        OldQuestion = old_apps.get_model("faq", "Question")
        for slug in (SLUG, "recepisse"):
            OldQuestion.objects.create(
                category=category, slug=slug, question_fr=slug, answer_fr="…"
            )

        executor = MigrationExecutor(connection)
        executor.migrate([after])

        new_apps = executor.loader.project_state([after]).apps
        illustrations = dict(
            new_apps.get_model("faq", "Question").objects.values_list(
                "slug", "illustrations"
            )
        )
        assert illustrations == {SLUG: "numero-etranger", "recepisse": ""}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
