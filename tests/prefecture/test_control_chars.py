"""Control characters are refused at the edge with a 400 (ControlCharactersMiddleware):
in the path, the query string, the cookies the site reads, a form's fields and a JSON
body's strings; a tab or a line break in a typed value still passes."""

import pytest
from django.test import Client

from tests.admin_uploads import DELIVERY_URL, admin_upload

pytestmark = pytest.mark.django_db

CONTROLS = ["%00", "%01", "%1B", "%7F", "%C2%85"]  # NUL, SOH, ESC, DEL, C1 NEL


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize(
    "url",
    [
        "/rdv/{}/",
        "/rendez-vous/gerer/{}/",
        "/faq/{}/",
        "/en/faq/{}/",
        "/{}",
        "/admin/booking/booking/{}/change/",
        "/sms/recus/{}/",
        "/static/{}",
    ],
)
def test_a_control_character_in_the_path_is_a_400(client, url, control):
    response = client.get(url.format("AB" + control + "CD"))
    assert response.status_code == 400


@pytest.mark.parametrize("control", CONTROLS)
def test_a_control_character_in_a_query_value_is_a_400(client, control):
    assert client.get("/faq/?q=a" + control).status_code == 400


@pytest.mark.parametrize("control", [*CONTROLS, "%09", "%0A", "%0D"])
def test_any_control_character_in_a_query_name_is_a_400(client, control):
    assert client.get("/faq/?a" + control + "=1").status_code == 400


def test_a_tab_or_a_line_break_in_a_value_passes(client):
    assert client.get("/faq/", {"q": "titre\tde\r\nséjour"}).status_code == 200


def test_the_400_page_is_the_site_s_own_and_speaks_the_page_s_language(client):
    french = client.get("/rendez-vous/?x=%00")
    english = client.get("/en/rendez-vous/?x=%00")
    assert french.status_code == english.status_code == 400
    assert "Requête invalide" in french.content.decode()
    assert 'lang="fr"' in french.content.decode()
    assert 'lang="en"' in english.content.decode()
    assert "dsfr.min.css" in english.content.decode()


@pytest.mark.parametrize("value", ["Dia\x00llo", "Dia\x07llo", "\x1b[31m"])
def test_a_control_character_in_a_form_field_is_a_400(client, value):
    assert client.post("/rendez-vous/", {"situation": value}).status_code == 400
    assert client.post("/rendez-vous/", {value: "x"}).status_code == 400


def test_a_textarea_keeps_its_line_breaks(admin_client):
    # The agenda's flag note: a line break is what a textarea sends.
    response = admin_client.post(
        "/admin/booking/booking/agenda/",
        {"booking": "0", "do": "flag", "note": "ligne 1\r\nligne 2\tfin"},
    )
    assert response.status_code == 302


def test_an_uploaded_file_is_left_to_its_import(admin_client):
    content = b"numero_etranger,nom,prenom,telephone\n208006503,Dia\x00llo,Awa,\n"
    page = admin_upload(admin_client, DELIVERY_URL, "livraison.csv", content)
    assert "caractère de contrôle refusé" in page  # the import names the line itself


@pytest.mark.parametrize(
    "cookie",
    ['sessionid="abcdefghij\\000"', 'csrftoken="a\\001b"', 'django_language="\\000"'],
)
def test_a_control_character_in_a_cookie_the_site_reads_is_a_400(client, cookie):
    # http.cookies unquotes "\000" to NUL: the session store would query it.
    assert client.get("/rendez-vous/", HTTP_COOKIE=cookie).status_code == 400


def test_a_foreign_cookie_is_not_the_site_s_business(client):
    assert (
        client.get("/rendez-vous/", HTTP_COOKIE='_tracker="\\000"').status_code == 200
    )


@pytest.mark.parametrize(
    "body",
    [
        '{"messageId": "\\u0000", "msg_status": "delivered"}',
        '{"messageId": 1, "msg_status": "deli\\u0007vered"}',
        '{"messageId": 1, "msg_status": "delivered", "\\u0000": 1}',
        '[{"nested": ["\\u001b"]}]',
        "[" * 950 + '"\\u0000"' + "]" * 950,  # as deep as the parser goes
    ],
)
def test_a_control_character_in_a_json_string_is_a_json_400(client, body):
    response = client.post(
        "/sms/recus/anything/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Caractère de contrôle non autorisé."}


def test_an_api_client_gets_its_400_in_json(client):
    response = client.get("/api/v1/creneaux", {"demarche": "a\x00"})
    assert response.status_code == 400 and "detail" in response.json()


def test_a_json_body_that_is_not_json_is_left_to_the_view(client, settings):
    settings.SMS_WEBHOOK_SECRET = "s3cret-receipts"
    url = "/sms/recus/s3cret-receipts/"
    for body in ["not json", "[" * 5000, '{"a": "\x00"}']:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"detail": "expected messageId and msg_status"}
