"""gunicorn configuration of the profiled rush (`--config python:bench.gunicorn_profile`):
each request runs under pyinstrument, each worker saves its profile when it exits."""

import os


def worker_exit(server, worker) -> None:
    # Imported here, in the worker: the master never loads Django.
    from bench import profiling

    profiling.save(os.environ["BENCH_PROFILE_DIR"])
