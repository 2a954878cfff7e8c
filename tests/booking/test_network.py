from django.test import RequestFactory

from booking.web.network import client_ip


def test_without_proxy_the_peer_address_is_used(settings):
    settings.NUM_PROXIES = 0
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.1"
    )
    assert client_ip(request) == "10.0.0.1"


def test_behind_one_proxy_the_rightmost_forwarded_address_is_used(settings):
    settings.NUM_PROXIES = 1
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.1"
    )
    assert client_ip(request) == "203.0.113.7"  # the client cannot spoof it


def test_missing_header_behind_a_proxy_falls_back_to_the_peer(settings):
    settings.NUM_PROXIES = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"
