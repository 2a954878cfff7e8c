"""A démarche or a site not yet translated shows its French words on the English
pages, marked lang="fr" so that screen readers read them in French (issue 16, item
11); translated, no mark."""

import pytest

from tests.booking.flow import pass_identity, registered_title
from tests.factories import ProcedureFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name_en", "expected"),
    [("", '<h1 lang="fr">Renouvellement</h1>'), ("Renewal", "<h1>Renewal</h1>")],
)
def test_the_slot_page_marks_an_untranslated_demarche_name(client, name_en, expected):
    procedure = ProcedureFactory(name_fr="Renouvellement", name_en=name_en)
    registered_title()
    client.cookies["django_language"] = "en"
    pass_identity(client, procedure)
    page = client.get("/en/rendez-vous/creneaux/").content.decode()
    assert expected in page


@pytest.mark.django_db
def test_the_french_page_never_marks_it(client):
    procedure = ProcedureFactory(name_fr="Renouvellement", name_en="")
    registered_title()
    pass_identity(client, procedure)
    page = client.get("/rendez-vous/creneaux/").content.decode()
    assert "<h1>Renouvellement</h1>" in page
