"""Profiles one request in five of a gunicorn worker with pyinstrument (request time only:
the time a sync worker waits in accept() is not in the profile)."""

import itertools
import os
import threading
from pathlib import Path

from pyinstrument import Profiler

from prefecture.wsgi import application as django_application

_profiler = Profiler(interval=0.002)
# One request in EVERY, the others unprofiled: a worker keeping every sample of
# every request wrote sessions of nearly 1 GB. Sampling requests keeps the shares.
EVERY = 5
_requests = itertools.count()


# One profiler per process, which samples the thread that started it: under a threaded
# worker (gthread) a request that finds it busy is served unprofiled, never refused.
_busy = threading.Lock()


def application(environ, start_response):
    if next(_requests) % EVERY or not _busy.acquire(blocking=False):
        return django_application(environ, start_response)
    try:
        _profiler.start()
        try:
            response = django_application(environ, start_response)
            try:
                return list(response)
            finally:
                response.close()  # request_finished: Django's connection handling
        finally:
            _profiler.stop()
    finally:
        _busy.release()


def save(directory: str) -> None:
    session = _profiler.last_session
    if session is not None:
        session.save(Path(directory) / f"worker-{os.getpid()}.pyisession")
