import pytest
from django.core.cache import cache, caches
from django.test import Client

from booking.sms import locmem
from tests.agents import login_agent
from tests.environment import REDIS_TEST_URL


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests read static files in place.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def redis_url() -> str:
    return REDIS_TEST_URL


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate-limit counters live in the cache: each test starts with none. The page
    # fragments each process keeps would outlive a test's settings (static storage).
    cache.clear()
    caches["fragments"].clear()
    yield
    cache.clear()
    caches["fragments"].clear()


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture
def admin_client(admin_user):
    """pytest-django's admin_client, past the second factor the admin requires."""
    return login_agent(Client(), admin_user)
