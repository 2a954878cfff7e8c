"""Percentiles of a step's client and server times, and the CPU the load generator
itself used (it shares the machine's cores with the server it measures)."""

import math
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from bench.client import Sample

PERCENTILES = (50, 95, 99)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def step_figures(samples: Iterable[Sample], steps: list[str]) -> dict:
    """For each step: the client's p50/p95/p99 (what the applicant waited) and the
    server's (inside Django, from Server-Timing), in ms; the server's CPU p50."""
    by_step: dict[str, list[Sample]] = {step: [] for step in steps}
    for sample in samples:
        if sample.step in by_step:
            by_step[sample.step].append(sample)
    figures: dict = {}
    for step, found in by_step.items():
        client = [s.elapsed * 1000 for s in found]
        server = [s.server_ms for s in found if not math.isnan(s.server_ms)]
        cpu = [s.server_cpu_ms for s in found if not math.isnan(s.server_cpu_ms)]
        for p in PERCENTILES:
            figures[f"{step} p{p}_ms"] = percentile(client, p)
            figures[f"{step} server p{p}_ms"] = percentile(server, p)
        figures[f"{step} server cpu p50_ms"] = percentile(cpu, 50)
        figures[f"{step} count"] = len(found)
    return figures


def _machine_busy_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of every CPU since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return total - idle, total


# Who used the machine's CPU, by process: the web workers (gunicorn's master
# collects a replaced worker's CPU when it reaps it), PostgreSQL (its postmaster
# likewise for a closed connection's backend), Redis, the Celery worker and the load
# generator (this process).
GROUPS = ("web", "postgresql", "redis", "celery", "load generator")


def _group(pid: int, comm: str, cmdline: str) -> str | None:
    if pid == os.getpid():
        return "load generator"
    if "gunicorn" in cmdline:
        return "web"
    if "celery" in cmdline:
        return "celery"
    if comm == "postgres":
        return "postgresql"
    if comm == "redis-server":
        return "redis"
    return None


def _cpu_by_group() -> dict[str, int]:
    """Jiffies of CPU (user and system, of each process and of its reaped children)
    since each process started, summed by group; processes of no group left out."""
    totals = dict.fromkeys(GROUPS, 0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                line = stat.read()
            with open(f"/proc/{entry.name}/cmdline", "rb") as raw:
                cmdline = raw.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        comm = line[line.index("(") + 1 : line.rindex(")")]
        group = _group(int(entry.name), comm, cmdline)
        if group is not None:
            fields = line[line.rindex(")") + 2 :].split()
            # utime, stime, cutime, cstime (proc(5), counted from the state field)
            totals[group] += sum(int(fields[i]) for i in (11, 12, 13, 14))
    return totals


@dataclass
class CpuMeter:
    """CPU-seconds of this process (the load generator) and of the whole machine
    while the block runs: ``with CpuMeter() as cpu: ...; cpu.figures()``."""

    _client: float = 0.0
    _busy: int = 0
    _total: int = 0
    _groups: dict[str, int] = field(default_factory=dict)
    groups_s: dict[str, float] = field(default_factory=dict)
    client_s: float = float("nan")
    machine_busy_s: float = float("nan")
    machine_s: float = float("nan")

    def __enter__(self) -> "CpuMeter":
        self._client = time.process_time()
        self._busy, self._total = _machine_busy_jiffies()
        self._groups = _cpu_by_group()
        return self

    def __exit__(self, *exc) -> None:
        hz = os.sysconf("SC_CLK_TCK")
        busy, total = _machine_busy_jiffies()
        groups = _cpu_by_group()
        self.groups_s = {
            name: (groups[name] - self._groups[name]) / hz for name in GROUPS
        }
        self.client_s = time.process_time() - self._client
        self.machine_busy_s = (busy - self._busy) / hz
        self.machine_s = (total - self._total) / hz

    def figures(self) -> dict:
        """The client's share of the machine's busy CPU, and how busy it was."""
        return {
            "client_cpu_s": self.client_s,
            "client_cpu_share": self.client_s / self.machine_busy_s
            if self.machine_busy_s
            else float("nan"),
            "machine_busy": self.machine_busy_s / self.machine_s
            if self.machine_s
            else float("nan"),
            **{f"cpu_s {name}": seconds for name, seconds in self.groups_s.items()},
        }
