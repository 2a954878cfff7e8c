"""Profiles one request in five of a gunicorn worker with pyinstrument (request time only:
the time a sync worker waits in accept() is not in the profile)."""

import itertools
import os
from pathlib import Path

from pyinstrument import Profiler

from prefecture.wsgi import application as django_application

_profiler = Profiler(interval=0.002)
# One request in EVERY, the others unprofiled: a worker keeping every sample of
# every request wrote sessions of nearly 1 GB. Sampling requests keeps the shares.
EVERY = 5
_requests = itertools.count()


def application(environ, start_response):
    if next(_requests) % EVERY:
        return django_application(environ, start_response)
    _profiler.start()
    try:
        response = django_application(environ, start_response)
        try:
            return list(response)
        finally:
            response.close()  # request_finished: Django's connection handling
    finally:
        _profiler.stop()


def save(directory: str) -> None:
    session = _profiler.last_session
    if session is not None:
        session.save(Path(directory) / f"worker-{os.getpid()}.pyisession")
