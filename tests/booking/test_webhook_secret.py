"""The receipts' secret and the applicants' link tokens never reach a log: Brevo takes
the receipts' address per message and sends no header of ours, so the secret stays in
the address; an applicant's link is itself the key to their booking or waiting-list
request. Every log that may hold a request line redacts both (gunicorn's access and
error logs through prefecture.gunicorn_logging.RedactingLogger, Django's through
LOGGING's filter)."""

import io
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from django.test import Client
from gunicorn.config import Config

from prefecture.gunicorn_logging import RedactingLogger
from prefecture.log_redaction import RedactSecretsFilter, redact

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-receipts-Zq81"


@pytest.mark.parametrize(
    "line",
    [
        f"POST /sms/recus/{SECRET}/ HTTP/1.1",
        f"Not Found: /sms/recus/{SECRET}/",
        f"http://testserver/sms/recus/{SECRET}/?x=1",
        f"GET //SMS/RECUS/{SECRET}/ HTTP/1.1",
        f"/sms/recus/{SECRET}",
    ],
)
def test_redact_hides_the_secret_of_a_receipts_address(line):
    assert SECRET not in redact(line) and "[redacted]" in redact(line)


TOKEN = "Xk3d-Applicant-Link_9q"


@pytest.mark.parametrize(
    "line",
    [
        # Every address that carries an applicant's token, as the access log, a
        # Referer or Django's warnings show it (booking/urls.py, prefecture/urls.py).
        f"GET /rendez-vous/gerer/{TOKEN}/ HTTP/1.1",
        f"POST /en/rendez-vous/gerer/{TOKEN}/annuler/ HTTP/1.1",
        f"Method Not Allowed (PUT): /rendez-vous/gerer/{TOKEN}/rendez-vous.ics",
        f"GET /rendez-vous/liste/{TOKEN}/retirer/ HTTP/1.1",
        f"Forbidden (CSRF cookie not set.): /rendez-vous/offre/{TOKEN}/",
        f"https://rendez-vous.loiret.gouv.fr/rdv/{TOKEN}/",
        f"GET /en/la/{TOKEN}/ HTTP/1.1",
        f"HEAD /o/{TOKEN} HTTP/1.1",
        f'"https://rendez-vous.loiret.gouv.fr/rendez-vous/gerer/{TOKEN}/deplacer/"',
        f"GET /admin/enrolement/{TOKEN}/ HTTP/1.1",  # an agent's first TOTP
    ],
)
def test_redact_hides_the_token_of_an_applicant_s_link(line):
    assert TOKEN not in redact(line) and "[redacted]" in redact(line)


@pytest.mark.parametrize(
    "line",
    [
        "GET /rendez-vous/creneaux/?du=2026-12-01 HTTP/1.1",
        "POST /rendez-vous/liste-attente/ HTTP/1.1",
        "GET /rendez-vous/liste-attente/inscrit/ HTTP/1.1",
        "GET /static/dsfr/dist/dsfr/dsfr.min.css HTTP/1.1",
        "GET /admin/booking/waitingrequest/ HTTP/1.1",
    ],
)
def test_redact_leaves_other_lines_alone(line):
    assert redact(line) == line


@pytest.fixture
def console():
    """What the configured console handler (LOGGING) writes."""
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactSecretsFilter) for f in handler.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@pytest.mark.django_db
def test_django_s_request_warnings_do_not_show_the_secret(client, settings, console):
    settings.SMS_WEBHOOK_SECRET = SECRET
    url = f"/sms/recus/{SECRET}/"
    unknown = {"messageId": 404, "msg_status": "delivered"}
    assert client.post(url, unknown, content_type="application/json").status_code == 404
    assert client.post(url, "x", content_type="application/json").status_code == 400
    assert client.get(url).status_code == 405
    written = console.getvalue()
    assert written.count("/sms/recus/[redacted]/") == 3, written
    assert SECRET not in written


@pytest.mark.django_db
def test_django_s_warnings_do_not_show_an_applicant_s_token(console):
    # A link-preview robot, a stale tab or a forged form: each refusal is logged
    # with the path, which is the link itself.
    offer, manage = f"/rendez-vous/offre/{TOKEN}/", f"/rendez-vous/gerer/{TOKEN}/"
    forged = Client(enforce_csrf_checks=True).post(offer, {"answer": "accept"})
    assert forged.status_code == 403
    assert Client().put(manage).status_code == 405
    assert Client().delete(f"/en/rendez-vous/liste/{TOKEN}/").status_code == 405
    written = console.getvalue()
    assert written.count("[redacted]") == 3, written
    assert TOKEN not in written


def _gunicorn_logger(tmp_path: Path) -> RedactingLogger:
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set(
        "access_log_format",
        '%(h)s "%(r)s" %(s)s U=%(U)s q=%(q)s auth=%({authorization}i)s',
    )
    return RedactingLogger(cfg)


def test_gunicorn_s_access_and_error_logs_do_not_show_the_secret(tmp_path):
    logger = _gunicorn_logger(tmp_path)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/sms/recus/{SECRET}/?a=1",
        "PATH_INFO": f"/sms/recus/{SECRET}/",
        "QUERY_STRING": "a=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
    }
    response = SimpleNamespace(status="403 Forbidden", sent=20, headers=[])
    request = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {SECRET}")])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    logger.error("Error handling request %s", f"/sms/recus/{SECRET}/")
    for handler in [*logger.access_log.handlers, *logger.error_log.handlers]:
        handler.flush()
    access = (tmp_path / "access.log").read_text()
    error = (tmp_path / "error.log").read_text()
    assert '"POST /sms/recus/[redacted]/?a=1 HTTP/1.1" 403' in access
    assert "U=/sms/recus/[redacted]/" in access and "auth=[redacted]" in access
    assert "Error handling request /sms/recus/[redacted]/" in error
    assert SECRET not in access + error


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _documented_gunicorn_args() -> str:
    example = (ROOT / "deploy" / "production.env.example").read_text()
    prefix = "GUNICORN_CMD_ARGS="
    return next(line for line in example.splitlines() if line.startswith(prefix))[
        len(prefix) :
    ]


@pytest.mark.parametrize("through", ["command line", "deploy/production.env.example"])
def test_the_production_command_s_access_log_does_not_show_the_secret(
    tmp_path, through
):
    # The README's command with the logger class, as an operator runs it: the flag
    # on the command line, or GUNICORN_CMD_ARGS from the documented environment.
    port = _free_port()
    log = tmp_path / "access.log"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    env = os.environ | {
        "DEBUG": "true",
        "SMS_WEBHOOK_SECRET": SECRET,
        "DJANGO_SETTINGS_MODULE": "prefecture.settings",
    }
    argv = [str(gunicorn), "prefecture.wsgi", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", "1", "--timeout", "30", "--preload", "--no-control-socket"]
    argv += ["--access-logfile", str(log)]
    if through == "command line":
        argv += ["--logger-class", "prefecture.gunicorn_logging.RedactingLogger"]
    else:
        env["GUNICORN_CMD_ARGS"] = _documented_gunicorn_args()
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                url = f"http://127.0.0.1:{port}/sms/recus/{SECRET}/"
                answer = requests.get(url, timeout=5)
            except requests.ConnectionError:  # not listening yet
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
                continue
            assert answer.status_code == 405
            break
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    written = log.read_text()
    assert '"GET /sms/recus/[redacted]/ HTTP/1.1" 405' in written, written
    assert SECRET not in written + stderr.decode()
