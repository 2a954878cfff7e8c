"""The load generator: a small asyncio client on httpx. A virtual applicant has its
own cookies (session, CSRF) and goes through the real pages as a browser does: it
reads the CSRF token and the offered slots in the HTML, posts the forms, and
follows each redirect with a GET of its own (timed as its own step)."""

import asyncio
import dataclasses
import itertools
import random
import re
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bench import config
from bench.dataset import Applicant

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SLOT = re.compile(r'name="slot" value="(\d+)"')
REFERENCE = re.compile(r'<dd class="fr-text--lead fr-text--bold">([A-Z0-9]{8})</dd>')
TITLE = re.compile(r"<title>([^<]*)</title>")
NO_SLOT = "Aucun créneau n’est disponible"
# `Server-Timing: app;dur=…, cpu;dur=…` (prefecture/server_timing.py, on in the bench).
SERVER_TIMING = re.compile(r"app;dur=([\d.]+), cpu;dur=([\d.]+)")
TIMEOUT = httpx.Timeout(300.0, connect=300.0)  # the rush queues connections
# One TLS context for every client: httpx would build one per client otherwise
# (milliseconds each), and no request here uses TLS.
_SSL = ssl.create_default_context()
_requests = itertools.count()


@dataclass(frozen=True)
class Sample:
    step: str
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    start: float
    end: float
    # Inside Django, from the response's Server-Timing (nan without one): wall, CPU.
    server_ms: float = float("nan")
    server_cpu_ms: float = float("nan")

    @property
    def elapsed(self) -> float:
        return self.end - self.start


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    # Start times of the requests still waiting for their answer (the open loop
    # waits for those its window started before reading the window's figures).
    in_flight: dict[int, float] = field(default_factory=dict)

    def oldest_in_flight(self) -> float:
        return min(self.in_flight.values(), default=float("inf"))

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for sample in self.samples:
            counts[sample.status] = counts.get(sample.status, 0) + 1
        return dict(sorted(counts.items()))


class Stop(Exception):
    """The measuring window closed: the virtual user stops where it is."""


class UnexpectedPage(Exception):
    pass


def new_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=config.base_url(),
        timeout=TIMEOUT,
        verify=_SSL,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        follow_redirects=False,
    )


async def timed(
    client: httpx.AsyncClient,
    recorder: Recorder,
    step: str,
    method: str,
    url: str,
    *,
    deadline: float | None = None,
    **kwargs,
) -> httpx.Response:
    if deadline is not None and time.perf_counter() >= deadline:
        raise Stop
    start = time.perf_counter()
    key = next(_requests)
    recorder.in_flight[key] = start
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        recorder.samples.append(Sample(step, 0, start, time.perf_counter()))
        recorder.transport_errors.append(f"{step}: {type(error).__name__}")
        raise UnexpectedPage(f"{step}: {type(error).__name__}") from error
    finally:
        del recorder.in_flight[key]
    end = time.perf_counter()
    timing = SERVER_TIMING.match(response.headers.get("server-timing", ""))
    recorder.samples.append(
        Sample(step, response.status_code, start, end)
        if timing is None
        else Sample(
            step,
            response.status_code,
            start,
            end,
            float(timing.group(1)),
            float(timing.group(2)),
        )
    )
    return response


def _csrf(response: httpx.Response, step: str) -> str:
    match = CSRF.search(response.text)
    if match is None:
        raise UnexpectedPage(f"{step}: HTTP {response.status_code}, no CSRF token")
    return match.group(1)


def _title(response: httpx.Response) -> str:
    """The page's title, to say which page came instead of the expected one."""
    match = TITLE.search(response.text)
    return match.group(1).strip() if match else f"HTTP {response.status_code}"


def _expect_redirect(response: httpx.Response, step: str, to: str) -> None:
    if response.status_code != 302 or to not in response.headers.get("location", ""):
        raise UnexpectedPage(
            f"{step}: HTTP {response.status_code} "
            f"→ {response.headers.get('location', '')!r}, expected {to} "
            f"({_title(response)})"
        )


@dataclass(frozen=True)
class Outcome:
    kind: str  # "booked", "no_slot" or "error"
    numero: str
    reference: str = ""
    detail: str = ""
    end: float = 0.0
    requests: int = 0  # HTTP requests this applicant made
    gate_post_at: float = float("nan")  # when its gate POST was sent (perf_counter)


async def book(
    client: httpx.AsyncClient,
    recorder: Recorder,
    applicant: Applicant,
    procedure_id: int,
    rng: random.Random,
    *,
    deadline: float | None = None,
    think: Callable[[], float] | None = None,
) -> Outcome:
    """One applicant, gate to success page (or to "no slot left"), with the number
    of requests it took (what a winner and a loser each cost the service). With
    ``think``, the applicant reads each page for that many seconds before sending
    its form (a redirect is followed at once, as a browser does)."""
    trail: dict[str, float] = {"requests": 0}
    outcome = await _walk(
        client,
        recorder,
        applicant,
        procedure_id,
        rng,
        trail,
        deadline=deadline,
        think=think,
    )
    return dataclasses.replace(
        outcome,
        requests=int(trail["requests"]),
        gate_post_at=trail.get("gate POST", float("nan")),
    )


async def _walk(
    client: httpx.AsyncClient,
    recorder: Recorder,
    applicant: Applicant,
    procedure_id: int,
    rng: random.Random,
    trail: dict[str, float],
    *,
    deadline: float | None = None,
    think: Callable[[], float] | None = None,
) -> Outcome:
    async def step(name: str, method: str, url: str, **kwargs) -> httpx.Response:
        if think is not None and method == "POST":
            await asyncio.sleep(think())
        trail["requests"] += 1
        trail.setdefault(name, time.perf_counter())  # each step's first request
        return await timed(
            client, recorder, name, method, url, deadline=deadline, **kwargs
        )

    try:
        page = await step("gate", "GET", "/rendez-vous/")
        token = _csrf(page, "gate")
        answer = await step(
            "gate POST",
            "POST",
            "/rendez-vous/",
            data={
                "csrfmiddlewaretoken": token,
                "situation": "titre_sejour",
                "procedure": str(procedure_id),
            },
        )
        if answer.status_code == 200 and NO_SLOT in answer.text:  # "complet" at once
            return Outcome("no_slot", applicant.numero, end=time.perf_counter())
        _expect_redirect(answer, "gate POST", "/rendez-vous/identite/")
        page = await step("identity", "GET", "/rendez-vous/identite/")
        token = _csrf(page, "identity")
        answer = await step(
            "identity POST",
            "POST",
            "/rendez-vous/identite/",
            data={
                "csrfmiddlewaretoken": token,
                "numero_etranger": applicant.numero,
                "valid_until": applicant.valid_until,
                "postal_code": applicant.postal_code,
            },
        )
        _expect_redirect(answer, "identity POST", "/rendez-vous/creneaux/")
        page = await step("slot list", "GET", "/rendez-vous/creneaux/")
        for _attempt in range(50):
            if page.status_code != 200:
                raise UnexpectedPage(f"slot list: HTTP {page.status_code}")
            offered = SLOT.findall(page.text)
            if not offered:
                if NO_SLOT not in page.text:
                    raise UnexpectedPage(
                        f"slot list: neither slots nor 'no slot' ({_title(page)})"
                    )
                return Outcome("no_slot", applicant.numero, end=time.perf_counter())
            token = _csrf(page, "slot list")
            answer = await step(
                "hold POST",
                "POST",
                "/rendez-vous/creneaux/",
                data={"csrfmiddlewaretoken": token, "slot": rng.choice(offered)},
            )
            if answer.status_code == 200:  # taken meanwhile: the list again
                page = answer
                continue
            _expect_redirect(answer, "hold POST", "/rendez-vous/coordonnees/")
            page = await step("details", "GET", "/rendez-vous/coordonnees/")
            token = _csrf(page, "details")
            answer = await step(
                "confirm POST",
                "POST",
                "/rendez-vous/coordonnees/",
                data={
                    "csrfmiddlewaretoken": token,
                    "last_name": "Essai",
                    "first_name": "Banc",
                    "mobile": "06" + applicant.numero[-8:],
                    "email": "",
                },
            )
            if "/rendez-vous/creneaux/" in answer.headers.get("location", ""):
                page = await step("slot list", "GET", "/rendez-vous/creneaux/")
                continue
            _expect_redirect(answer, "confirm POST", "/rendez-vous/confirme/")
            page = await step("success page", "GET", "/rendez-vous/confirme/")
            match = REFERENCE.search(page.text)
            if page.status_code != 200 or match is None:
                raise UnexpectedPage(f"success page: HTTP {page.status_code}")
            return Outcome(
                "booked", applicant.numero, match.group(1), end=time.perf_counter()
            )
        raise UnexpectedPage("no place after 50 attempts")
    except UnexpectedPage as error:
        return Outcome("error", applicant.numero, detail=str(error))


async def closed_loop(
    clients: list[httpx.AsyncClient],
    seconds: float,
    one: Callable[[httpx.AsyncClient, Recorder, float], Awaitable[object]],
) -> tuple[Recorder, float]:
    """One user per client, each calling ``one`` again as soon as it returns, for
    ``seconds``; the clients are closed at the end. Returns the samples and the
    window's start (perf_counter)."""
    recorder = Recorder()
    start = time.perf_counter()
    deadline = start + seconds

    async def user(client: httpx.AsyncClient) -> None:
        try:
            while time.perf_counter() < deadline:
                await one(client, recorder, deadline)
        except Stop:
            pass

    try:
        await asyncio.gather(*(user(c) for c in clients))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return recorder, start


def window_rate(recorder: Recorder, start: float, seconds: float) -> float:
    """Requests answered inside the window, per second."""
    done = sum(1 for s in recorder.samples if s.end <= start + seconds)
    return done / seconds
