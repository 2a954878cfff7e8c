"""The keys every page reads, fetched in one MGET (prefecture.request_keys): never
older than the request, and read alone when they do not share one Redis."""

import pytest
from django.core.cache import caches
from django.test import Client

from faq.selectors import ANNOUNCEMENTS_CACHE_KEY
from prefecture import request_keys
from tests.redis_cache import on_redis_as_production
from tests.round_trips import counted_redis_round_trips

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def on_redis(settings):
    with on_redis_as_production(settings, "test-keys"):
        yield


def _bundle(session_key=None):
    bundle = request_keys._Bundle(session_key)
    return bundle, request_keys._bundle.set(bundle)


def test_one_mget_brings_every_key_once(on_redis):
    caches["default"].set(ANNOUNCEMENTS_CACHE_KEY, ["a"])
    caches["default"].set(request_keys.PROCEDURES_VERSION_KEY, 7)
    _, token = _bundle()
    try:
        with counted_redis_round_trips() as trips:
            first = request_keys.take("default", ANNOUNCEMENTS_CACHE_KEY)
            version = request_keys.take("default", request_keys.PROCEDURES_VERSION_KEY)
            again = request_keys.take("default", ANNOUNCEMENTS_CACHE_KEY)
        assert (first, version, again) == (["a"], 7, request_keys.UNKNOWN)
        assert [t.split()[0] for t in trips.redis] == ["MGET"]
    finally:
        request_keys._bundle.reset(token)


def test_a_key_written_in_the_request_is_read_again_from_redis(on_redis):
    caches["default"].set(ANNOUNCEMENTS_CACHE_KEY, ["old"])
    _, token = _bundle()
    try:
        request_keys.take("default", request_keys.PROCEDURES_VERSION_KEY)  # fetched
        request_keys.forget("default", ANNOUNCEMENTS_CACHE_KEY)  # then written
        assert request_keys.take("default", ANNOUNCEMENTS_CACHE_KEY) is (
            request_keys.UNKNOWN
        )
    finally:
        request_keys._bundle.reset(token)


def test_keys_on_two_redis_databases_are_read_alone(on_redis, settings):
    caches["default"].set(ANNOUNCEMENTS_CACHE_KEY, ["a"])
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {
            **settings.CACHES["sessions"],
            "LOCATION": settings.CACHES["sessions"]["LOCATION"].rsplit("/", 1)[0]
            + "/13",
        },
    }
    _, token = _bundle("test-keys-session:1:somekey")
    try:
        with counted_redis_round_trips() as trips:
            found = request_keys.take("default", ANNOUNCEMENTS_CACHE_KEY)
        assert found is request_keys.UNKNOWN
        assert trips.redis == []
    finally:
        request_keys._bundle.reset(token)


def test_outside_a_request_every_key_is_read_as_usual(on_redis):
    assert request_keys.take("default", ANNOUNCEMENTS_CACHE_KEY) is (
        request_keys.UNKNOWN
    )


def test_a_session_saved_then_read_in_one_client_keeps_its_values(on_redis):
    client = Client()
    session = client.session
    session["choice"] = "x"
    session.save()
    assert client.get("/faq/").status_code == 200
    assert client.session["choice"] == "x"
