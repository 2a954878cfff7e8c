"""The `make bench` baseline views exist only when BENCH_VIEWS is on."""

import importlib

import pytest
from django.urls import clear_url_caches

import prefecture.urls
from booking.models import Booking
from tests.factories import SlotFactory


@pytest.fixture
def bench_urls(settings):
    """The URLconf rebuilt with BENCH_VIEWS on, then rebuilt as it was."""
    settings.BENCH_VIEWS = True
    importlib.reload(prefecture.urls)
    clear_url_caches()
    yield
    settings.BENCH_VIEWS = False
    importlib.reload(prefecture.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_bench_views_are_not_served_by_default(client, settings):
    assert settings.BENCH_VIEWS is False
    assert client.get("/bench/minimal/").status_code == 404
    assert client.post("/bench/book/", {"slot": "1"}).status_code == 404


@pytest.mark.django_db
def test_bench_minimal_view_is_served_when_the_setting_is_on(bench_urls, client):
    response = client.get("/bench/minimal/")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_bench_booking_view_locks_inserts_and_updates(bench_urls, client):
    slot = SlotFactory(capacity=5)
    response = client.post("/bench/book/", {"slot": str(slot.pk)})
    assert response.status_code == 200
    booking = Booking.objects.get(reference=response.content.decode())
    assert booking.slot == slot and booking.status == Booking.Status.HONOURED
