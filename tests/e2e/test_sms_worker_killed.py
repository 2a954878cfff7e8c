"""A real worker process killed with SIGKILL in the middle of a send: the message is
still sent (the sweeper takes it back), and the possible duplicate is counted — only
for the message that was at the provider, not for the rest of the claimed batch."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from booking import services
from booking.models import OutgoingMessage
from tests.e2e.celery_broker import broker, wait_until
from tests.environment import REDIS_TEST_URL
from tests.factories import CardFactory

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


class SlowBrevo(BaseHTTPRequestHandler):
    """Answers like Brevo, but hangs on the first request (the one being killed)."""

    calls = 0

    def do_POST(self):
        SlowBrevo.calls += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if SlowBrevo.calls == 1:
            time.sleep(30)
        body = b'{"messageId": 42}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_brevo(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowBrevo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    SlowBrevo.calls = 0
    settings.SMS_BACKEND = "brevo"
    settings.BREVO_API_URL = (
        f"http://127.0.0.1:{server.server_port}/v3/transactionalSMS/send"
    )
    settings.BREVO_API_KEY = "k"
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL
    yield settings.BREVO_API_URL
    server.shutdown()


def test_a_worker_killed_mid_send_does_not_lose_the_sms(slow_brevo):
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    cards = CardFactory.create_batch(3)  # one task: one claimed batch of three
    with broker(REDIS_TEST_URL):
        services.card_mark_ready(
            card_ids=[card.pk for card in cards], by="agent", now=timezone.now()
        )
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "REDIS_URL": REDIS_TEST_URL,
        "SMS_BACKEND": "brevo",
        "BREVO_API_URL": slow_brevo,
        "BREVO_API_KEY": "k",
        "SMS_QUIET_FROM": "08:00",
        "SMS_QUIET_UNTIL": "08:00",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "prefecture", "worker", "--pool=solo",
         "--without-mingle", "--without-gossip", "--loglevel=WARNING"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: SlowBrevo.calls >= 1, timeout=60)
        message, *untried = OutgoingMessage.objects.order_by("pk")
        assert {m.status for m in [message, *untried]} == {"sending"}
        os.killpg(worker.pid, signal.SIGKILL)  # mid-send, no chance to clean up
    finally:
        worker.wait(timeout=30)
    later = timezone.now() + timedelta(
        minutes=django_settings.SMS_SENDING_TIMEOUT_MINUTES + 1
    )
    swept = services.messages_sweep(now=later)
    assert sorted(swept) == sorted(m.pk for m in [message, *untried])
    services.messages_send(message_ids=sorted(swept), now=later)
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2
    assert message.possible_duplicates == 1  # counted, and visible in the admin
    for other in untried:  # claimed with it, never at the provider: not counted
        other.refresh_from_db()
        assert other.status == "sent" and other.attempts == 1
        assert other.possible_duplicates == 0
    assert SlowBrevo.calls == 4
