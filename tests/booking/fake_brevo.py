"""A local server speaking Brevo's documented transactional-SMS API (the boundary we
fake): POST /v3/transactionalSMS/send with an api-key header → 201 {"messageId"},
errors as {"code", "message"}."""

import itertools
import json
import threading

from werkzeug import Request, Response

API_KEY = "test-api-key"
PATH = "/v3/transactionalSMS/send"


class FakeBrevo:
    def __init__(self, httpserver):
        self.server = httpserver
        self.received: list[dict] = []
        self.script: list[tuple[int, dict]] = []  # answers to give first, in order
        self._ids = itertools.count(1511882900176220)
        self._lock = threading.Lock()
        httpserver.expect_request(PATH, method="POST").respond_with_handler(self.handle)

    @property
    def url(self) -> str:
        return self.server.url_for(PATH)

    def handle(self, request: Request) -> Response:
        if request.headers.get("api-key") != API_KEY:
            return self._json(401, {"code": "unauthorized", "message": "Key not found"})
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return self._json(400, {"code": "bad_request", "message": "invalid JSON"})
        missing = [f for f in ("sender", "recipient", "content") if not body.get(f)]
        if missing:
            return self._json(
                400,
                {"code": "missing_parameter", "message": f"{missing[0]} is missing"},
            )
        with self._lock:
            if self.script:
                status, answer = self.script.pop(0)
                if status >= 300:
                    return self._json(status, answer)
            self.received.append(body)
            return self._json(201, {"messageId": next(self._ids)})

    @staticmethod
    def _json(status: int, body: dict) -> Response:
        return Response(
            json.dumps(body), status=status, content_type="application/json"
        )


def use_fake_brevo(settings, httpserver) -> FakeBrevo:
    """Points the product at the local server, with receipts on and no quiet hours."""
    fake = FakeBrevo(httpserver)
    settings.SMS_BACKEND = "brevo"
    settings.BREVO_API_URL = fake.url
    settings.BREVO_API_KEY = API_KEY
    settings.SMS_SENDER = "PREF45"
    settings.SMS_WEBHOOK_SECRET = "s3cret-receipts"
    settings.SMS_QUIET_FROM = settings.SMS_QUIET_UNTIL
    return fake
