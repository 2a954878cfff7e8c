"""`Server-Timing` (for `make bench`'s server-side times) only when SERVER_TIMING is on."""

import re

import pytest

from tests.prefecture.test_settings import settings_value

HEADER = re.compile(r"^app;dur=(\d+\.\d\d), cpu;dur=(\d+\.\d\d)$")


def test_the_middleware_is_outermost_when_on_and_absent_by_default():
    env = {"DEBUG": "true"}
    first = "settings.MIDDLEWARE[0]"
    assert "ServerTiming" not in settings_value(first, env)
    assert settings_value(first, {**env, "SERVER_TIMING": "true"}) == (
        "prefecture.server_timing.ServerTimingMiddleware"
    )


@pytest.mark.django_db
def test_every_response_says_its_wall_and_cpu_time(client, settings):
    settings.MIDDLEWARE = [
        "prefecture.server_timing.ServerTimingMiddleware",
        *settings.MIDDLEWARE,
    ]
    for url in ("/rendez-vous/", "/page-qui-n-existe-pas/"):
        response = client.get(url)
        match = HEADER.match(response["Server-Timing"])
        assert match, response["Server-Timing"]
        wall, cpu = float(match[1]), float(match[2])
        assert wall > 0
        assert 0 <= cpu <= wall * 1.05 + 0.5  # a thread's CPU within its wall time


@pytest.mark.django_db
def test_no_timing_header_by_default(client):
    assert "Server-Timing" not in client.get("/rendez-vous/").headers
