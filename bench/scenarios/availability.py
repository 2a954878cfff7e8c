"""The slot page and `/api/v1/creneaux` with 5,000 open slots, and their SQL
queries per request."""

import asyncio
from dataclasses import dataclass
from http.cookiejar import Cookie

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import client, dataset
from bench.processes import BenchError
from bench.scenarios.common import (
    AVAILABILITY_SLOTS,
    BASELINE_SECONDS,
    CONCURRENCY,
    no_5xx,
    window_figures,
)
from bench.timings import CpuMeter

# --- availability ---------------------------------------------------------------


@dataclass
class Availability:
    big: dataset.Opening
    small: dataset.Opening
    sessions: list[list[Cookie]]  # cookies of applicants who may see the slots


def availability_prepare() -> Availability:
    big = dataset.opening("dispo-5000", slots=AVAILABILITY_SLOTS, capacity=3)
    small = dataset.opening("dispo-50", slots=50, capacity=3)
    dataset.vacuum_analyze()
    sessions = asyncio.run(_sessions(big.procedure.pk, 16))
    return Availability(big, small, sessions)


def _in_process_session(procedure_id: int) -> Client:
    """A test client that passed the gate and the identity check."""
    person = dataset.applicants(1)[0]
    browser = Client()
    browser.post(
        "/rendez-vous/", {"situation": "titre_sejour", "procedure": procedure_id}
    )
    answer = browser.post(
        "/rendez-vous/identite/",
        {
            "numero_etranger": person.numero,
            "valid_until": person.valid_until,
            "postal_code": person.postal_code,
        },
    )
    if answer.status_code != 302:
        raise BenchError(f"availability: identity step answered {answer.status_code}")
    return browser


def query_counts(availability: Availability) -> dict:
    """SQL queries of one request, with 50 and with 5,000 open slots: when the page
    is built (nothing cached) and when it comes from the shared cache."""
    from booking import availability as free_slots
    from booking import selectors

    counts = {}
    for name, opening in (("50", availability.small), ("5000", availability.big)):
        browser = _in_process_session(opening.procedure.pk)
        for page, url in (
            ("slot page", "/rendez-vous/creneaux/"),
            ("API", f"/api/v1/creneaux?demarche={opening.procedure.slug}"),
        ):
            for state in ("built", "cached"):
                if state == "built":
                    free_slots.changed()
                    selectors.procedure_changed(opening.procedure.pk)
                with CaptureQueriesContext(connection) as queries:
                    response = browser.get(url)
                if response.status_code != 200:
                    raise BenchError(
                        f"availability: {url} answered {response.status_code}"
                    )
                counts[f"{page}, {state} ({name} slots)"] = len(queries)
    return counts


async def _sessions(procedure_id: int, count: int) -> list[list[Cookie]]:
    """Cookies of applicants past the gate and identity steps (their sessions may
    see the slots)."""
    people = await asyncio.to_thread(dataset.applicants, count)
    clients = [client.new_client() for _ in range(count)]
    recorder = client.Recorder()
    for http, person in zip(clients, people, strict=True):
        page = await client.timed(http, recorder, "gate", "GET", "/rendez-vous/")
        await http.post(
            "/rendez-vous/",
            data={
                "csrfmiddlewaretoken": client._csrf(page, "gate"),
                "situation": "titre_sejour",
                "procedure": str(procedure_id),
            },
        )
        page = await http.get("/rendez-vous/identite/")
        await http.post(
            "/rendez-vous/identite/",
            data={
                "csrfmiddlewaretoken": client._csrf(page, "identity"),
                "numero_etranger": person.numero,
                "valid_until": person.valid_until,
                "postal_code": person.postal_code,
            },
        )
    cookies = [list(http.cookies.jar) for http in clients]
    await asyncio.gather(*(http.aclose() for http in clients))
    return cookies


def availability(availability: Availability, page: str) -> dict:
    """Requests/s and latency of the slot page or the API with 5,000 open slots."""
    opening = availability.big
    if page == "slot page":
        url = "/rendez-vous/creneaux/"
        clients = [client.new_client() for _ in range(CONCURRENCY)]
        for i, http in enumerate(clients):
            for cookie in availability.sessions[i % len(availability.sessions)]:
                http.cookies.jar.set_cookie(cookie)
    else:
        url = f"/api/v1/creneaux?demarche={opening.procedure.slug}"
        clients = [client.new_client() for _ in range(CONCURRENCY)]

    async def one(http, recorder, deadline):
        answer = await client.timed(http, recorder, page, "GET", url)
        if (
            answer.status_code == 200
            and page == "slot page"
            and ('name="slot"' not in answer.text)
        ):
            raise BenchError("availability: the slot page shows no slot")

    with CpuMeter() as cpu:
        recorder, start = asyncio.run(
            client.closed_loop(clients, BASELINE_SECONDS, one)
        )
    no_5xx(f"availability ({page})", recorder)
    return window_figures(recorder, start, cpu)
