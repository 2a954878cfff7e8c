"""The tests' local Brevo server (tests/booking/fake_brevo.py) as a process of its
own, plus two bench-only endpoints: what it received, and a reset between runs.

Run: python -m bench.fake_provider PORT"""

import json
import logging
import sys
import threading

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.booking.fake_brevo import FakeBrevo


def reference(body: dict) -> str:
    """Our idempotency key travels in Brevo's ``tag`` (booking/sms/brevo.py)."""
    return next((t for t in body.get("tag", []) if ":" in t), "")


def serve(port: int) -> None:
    # No line per request in its log: 10,000 of them cost CPU on the cores the worker
    # being measured runs on.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = HTTPServer(host="127.0.0.1", port=port, threaded=True)
    fake = FakeBrevo(server)

    def stats(request: Request) -> Response:
        # Polled while the worker sends: the count alone, computed in no time, so
        # that the poll does not take CPU from what it measures.
        with fake._lock:
            if request.args.get("references"):
                payload: dict = {"references": [reference(b) for b in fake.received]}
            else:
                payload = {"received": len(fake.received)}
        return Response(json.dumps(payload), content_type="application/json")

    def reset(request: Request) -> Response:
        with fake._lock:
            fake.received.clear()
        server.clear_log()
        return Response("{}", content_type="application/json")

    server.expect_request("/bench/stats").respond_with_handler(stats)
    server.expect_request("/bench/reset", method="POST").respond_with_handler(reset)
    server.start()
    print(f"fake provider on {server.url_for('/')}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
