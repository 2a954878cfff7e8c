import pytest
from django.db.utils import ConnectionHandler

from prefecture.health import check_broker, check_database

pytestmark = pytest.mark.django_db


def test_health_reports_database_ok_and_broker_disabled_without_redis(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/sante/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "disabled"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.redis
def test_health_checks_the_real_broker_when_redis_is_configured(
    client, settings, redis_url
):
    settings.REDIS_URL = redis_url
    response = client.get("/sante/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_health_is_503_when_the_broker_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/sante/")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error"}


def test_database_check_reports_an_unreachable_database(tmp_path):
    broken = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(tmp_path / "missing-dir" / "db.sqlite3"),
            }
        }
    )["default"]
    assert check_database(broken) == "error"


def test_broker_check_is_disabled_without_url():
    assert check_broker("") == "disabled"


def test_health_is_exempt_from_https_redirect_for_load_balancers(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/sante/").status_code == 200
    assert client.get("/faq/").status_code == 301
