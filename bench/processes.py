"""Start and stop what the bench runs: gunicorn, a Celery worker, the fake SMS
provider. Each runs in its own process group, so stopping it stops its children
too; everything started is stopped in `finally` and on SIGINT/SIGTERM."""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import config


class BenchError(Exception):
    """The bench cannot go on (a server did not start, an invariant broke)."""


class Process:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path):
        self.name = name
        self.log_path = log
        self._log = log.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 (our own argv)
            argv,
            cwd=config.ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (graceful: gunicorn and Celery finish what they hold), then
        SIGKILL to the whole group if it lingers."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        # Children left in the group (a worker that outlived its master).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self._log.close()

    def tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


class Supervisor:
    """Keeps every started process, stops them all whatever happens."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: list[Process] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        process = Process(name, argv, env, self.log_dir / f"{name}.log")
        self.processes.append(process)
        return process

    def stop(self, process: Process) -> None:
        process.stop()
        self.processes.remove(process)

    def stop_all(self) -> None:
        for process in reversed(self.processes[:]):
            self.stop(process)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """SIGTERM (and SIGHUP) become KeyboardInterrupt, so `finally` blocks run."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def ensure_port_free(port: int) -> None:
    with socket.socket() as sock:
        if sock.connect_ex((config.HOST, port)) == 0:
            raise BenchError(
                f"port {port} is already taken: stop what listens there or set "
                "BENCH_WEB_PORT / BENCH_SMS_PORT"
            )


def wait_http(process: Process, url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise BenchError(f"{process.name} exited while starting:\n{process.tail()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{process.name} did not answer {url} in {timeout:.0f} s")


def pgbench_path() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)),
        None,
    )
    if found is None:
        raise BenchError("pgbench not found (it comes with PostgreSQL)")
    return found


def start_fake_provider(supervisor: Supervisor) -> Process:
    ensure_port_free(config.SMS_PORT)
    process = supervisor.start(
        "fake-provider",
        [
            str(config.VENV_BIN / "python"),
            "-m",
            "bench.fake_provider",
            str(config.SMS_PORT),
        ],
        {},
    )
    wait_http(process, f"http://{config.HOST}:{config.SMS_PORT}/bench/stats")
    return process


def start_gunicorn(
    supervisor: Supervisor,
    env: dict[str, str],
    shape: config.Gunicorn,
    *,
    profile_dir: Path | None = None,
) -> Process:
    """The README's production command on loopback; with ``profile_dir``, every
    request is profiled (pyinstrument) and each worker saves its profile there."""
    ensure_port_free(config.WEB_PORT)
    argv = [
        str(config.VENV_BIN / "gunicorn"),
        "prefecture.wsgi" if profile_dir is None else "bench.profiling:application",
        "--bind",
        f"{config.HOST}:{config.WEB_PORT}",
        "--worker-class",
        shape.worker_class,
        "--workers",
        str(shape.workers),
        "--threads",
        str(shape.threads),
        "--timeout",
        "30",
        # Connections arrive all at once in the rush: the kernel queue holds them.
        "--backlog",
        "4096",
        # Not the shared default socket (~/.gunicorn/gunicorn.ctl): another gunicorn
        # on this machine may use it.
        "--no-control-socket",
    ]
    extra = {}
    if profile_dir is None:
        # --preload: a worker replaced after --max-requests starts from the loaded
        # application (WhiteNoise's scan of the static files, the imports) instead
        # of paying them again, about 2 s of CPU each time in the middle of a rush.
        argv += ["--preload", "--max-requests", "2000", "--max-requests-jitter", "200"]
    else:
        argv += ["--config", "python:bench.gunicorn_profile"]
        extra["BENCH_PROFILE_DIR"] = str(profile_dir)
    process = supervisor.start("gunicorn", argv, {**env, **extra})
    wait_http(process, f"{config.base_url()}/bench/minimal/")
    warm_up(shape)
    return process


def warm_up(shape: config.Gunicorn) -> None:
    """A worker's first requests import the URLconf's views and the API (half a
    second): a few concurrent rounds on the pages so that no measurement pays it."""
    urls = ["/bench/minimal/", "/rendez-vous/", "/api/v1/creneaux?demarche=none"]

    def get(url: str) -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(config.base_url() + url, timeout=30)

    with ThreadPoolExecutor(max_workers=shape.db_connections * 2) as pool:
        list(pool.map(get, urls * shape.db_connections * 6))


def start_celery_worker(supervisor: Supervisor, env: dict[str, str]) -> Process:
    argv = [
        str(config.VENV_BIN / "celery"),
        "-A",
        "prefecture",
        "worker",
        "--include",
        "bench.tasks",
        "--pool",
        config.CELERY_POOL,
        "--concurrency",
        str(config.CELERY_CONCURRENCY),
        "--loglevel",
        "INFO",  # as the README's production command
    ]
    process = supervisor.start("celery-worker", argv, env)
    wait_celery(process)
    return process


def wait_celery(process: Process, timeout: float = 40.0) -> None:
    from prefecture.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise BenchError(f"the Celery worker exited:\n{process.tail()}")
        with contextlib.suppress(Exception):
            if app.control.ping(timeout=1.0):
                return
    raise BenchError(f"the Celery worker did not answer a ping in {timeout:.0f} s")
