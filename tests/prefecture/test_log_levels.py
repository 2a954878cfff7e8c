"""A request for a host not served is one WARNING line, without a traceback: every
scanner and load-balancer probe by IP address wrote an ERROR with its traceback."""

import logging


def test_a_foreign_host_is_one_warning_line_without_traceback(client, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/rendez-vous/", HTTP_HOST="scanner.example")
    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "scanner.example" in record.getMessage()
