"""Sessions live in Redis when it is there (no database write at each step of the
booking flow), in the database otherwise; the choice is SESSION_STORE."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session

from booking.models import Booking
from prefecture.sessions import SessionStore
from tests.agents import login_role
from tests.booking.flow import CONTACT, pass_identity, registered_title
from tests.factories import ProcedureFactory, SlotFactory
from tests.redis_cache import use_redis_cache
from tests.round_trips import counted_redis_round_trips

ROOT = Path(__file__).resolve().parent.parent.parent


def session_settings(**environ: str) -> str:
    """SESSION_ENGINE as a fresh process computes it from this environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env |= {"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "prefecture.settings"}
    env |= environ
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.SESSION_ENGINE)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


def test_sessions_go_to_redis_when_redis_is_configured():
    url = "redis://127.0.0.1:6379/15"
    assert session_settings(REDIS_URL=url) == "prefecture.sessions"
    assert session_settings(REDIS_URL=url, SESSION_STORE="database").endswith(
        "backends.db"
    )
    assert session_settings().endswith("backends.db")  # laptop: no Redis


def test_a_wrong_session_store_stops_the_start():
    assert "SESSION_STORE=redis needs REDIS_URL" in session_settings(
        SESSION_STORE="redis"
    )
    assert "SESSION_STORE must be redis or database" in session_settings(
        SESSION_STORE="memcached"
    )


@pytest.fixture
def redis_sessions(settings, redis_url):
    sessions = use_redis_cache(settings, "sessions", "test-session")
    settings.SESSION_ENGINE = "prefecture.sessions"
    settings.SESSION_CACHE_ALIAS = "sessions"
    yield redis.Redis.from_url(redis_url)
    sessions.clear()


@pytest.mark.redis
@pytest.mark.django_db
def test_a_booking_in_redis_sessions_writes_no_session_row(client, redis_sessions):
    renewal = ProcedureFactory()
    registered_title()
    SlotFactory(procedure=renewal)
    pass_identity(client, renewal)
    page = client.get("/rendez-vous/creneaux/").content.decode()
    slot_id = page.split('name="slot" value="')[1].split('"')[0]
    assert client.post("/rendez-vous/creneaux/", {"slot": slot_id}).status_code == 302
    assert client.post("/rendez-vous/coordonnees/", CONTACT).status_code == 302
    done = client.get("/rendez-vous/confirme/").content.decode()
    booking = Booking.objects.get()
    assert booking.reference in done
    assert Session.objects.count() == 0
    assert redis_sessions.keys("*test-session*")  # the session is in Redis


@pytest.mark.redis
@pytest.mark.django_db
def test_an_agent_session_in_redis_expires_after_the_idle_time(
    client, redis_sessions, settings
):
    settings.AGENT_IDLE_MINUTES = 30
    login_role(client, "accueil")
    assert client.get("/admin/").status_code == 200
    (key,) = redis_sessions.keys("*test-session*")
    assert 29 * 60 < redis_sessions.ttl(key) <= 30 * 60
    redis_sessions.delete(key)  # what Redis does when the time is up
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


@pytest.mark.redis
def test_a_session_deleted_meanwhile_is_not_written_again(redis_sessions):
    """Saved in one command, a session is still never brought back once deleted
    (expired, or ended by a logout in another tab) between its load and its save."""
    store = SessionStore()
    store["step"] = 1
    store.save()
    again = SessionStore(store.session_key)
    again["step"] = 2
    store.delete()
    with pytest.raises(UpdateError):
        again.save()
    assert not redis_sessions.keys("*test-session*")
    kept = SessionStore()
    kept["step"] = 1
    kept.save()
    reloaded = SessionStore(kept.session_key)
    reloaded["step"] = 2
    reloaded.save()
    assert SessionStore(kept.session_key)["step"] == 2


@pytest.mark.redis
def test_a_new_session_is_created_in_one_round_trip_never_over_another(
    redis_sessions, monkeypatch
):
    """No EXISTS before the creation: its SET NX refuses a key already taken, and
    the store draws another."""
    taken = SessionStore()
    taken["who"] = "first"
    taken.save()
    drawn = iter([taken.session_key, "k" * 32])
    monkeypatch.setattr(
        "prefecture.sessions.get_random_string", lambda *args: next(drawn)
    )
    store = SessionStore()
    store["who"] = "second"
    with counted_redis_round_trips() as trips:
        store.create()
    assert [t.split()[0] for t in trips.redis] == ["SET", "SET"], trips.redis
    assert store.session_key == "k" * 32
    assert SessionStore(taken.session_key)["who"] == "first"
