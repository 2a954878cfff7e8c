"""BENCHMARKS.md: every figure as min / median / max over the runs, next to the
baseline of the same run it is compared with, and the targets met or missed."""

import math
import statistics
from datetime import UTC, datetime
from pathlib import Path

from pyinstrument.session import Session

from bench import config, open_loop, scenarios, timings

OUTPUT = config.ROOT / "BENCHMARKS.md"
PROFILE = config.ROOT / "BENCHMARKS-rush-profile.txt"
NOTES = config.ROOT / "bench" / "notes.md"


def combine_profiles(directory: Path) -> Session | None:
    """One profile from the sessions each gunicorn worker saved."""
    combined = None
    for path in sorted(directory.glob("*.pyisession")):
        session = Session.load(path)
        combined = session if combined is None else Session.combine(combined, session)
    return combined


def spread(runs: list[dict], key: str) -> tuple[float, float, float]:
    values = [run[key] for run in runs]
    return min(values), statistics.median(values), max(values)


def fmt(value: float, digits: int = 0) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ")


def row(
    label: str, runs: list[dict], key: str, digits: int = 0, extra: str = ""
) -> str:
    low, mid, high = spread(runs, key)
    cells = [label, fmt(low, digits), fmt(mid, digits), fmt(high, digits)]
    return "| " + " | ".join(cells) + f" | {extra} |"


def ratio(value: float, baseline: float) -> str:
    return f"{100 * value / baseline:.0f} %"


def rush_paired(results: dict) -> list[dict]:
    """Each rush run against the baselines measured just before it (bench.run's
    _rushes says why): its rate as a share of (a)'s, its confirm against (b)'s, and
    its time against what (a)'s rate needs for as many requests. Results saved
    before the rushes had baselines of their own are compared with the run's."""
    runs = results["rush"]
    a_runs = results.get("rush_a") or [
        {key: spread(results["a"], key)[1] for key in results["a"][0]}
    ] * len(runs)
    b_runs = results.get("rush_b") or [
        {key: spread(results["b"], key)[1] for key in results["b"][0]}
    ] * len(runs)
    return [
        {
            "a_rps": a["rps"],
            "b_rps": b["rps"],
            "b_server": b["server_p50_ms"],
            "rps_share": rush["rps"] / a["rps"],
            "confirm_rps_share": rush["confirm_rps"] / b["rps"],
            "confirm_vs_b": rush["confirm POST server p50_ms"] / b["server_p50_ms"],
            "a_time": rush["requests"] / a["rps"],
            "answered_vs_a": rush["answered_s"] / (rush["requests"] / a["rps"]),
        }
        for rush, a, b in zip(runs, a_runs, b_runs, strict=True)
    ]


def _against(results: dict, baseline: str) -> str:
    if "rush_a" in results:
        return (
            f"median of the runs, each against the {baseline} measured just before it"
        )
    return f"against the run's {baseline}"


def per_hour(rate: float) -> str:
    return fmt(rate * 3600)


def step_table(runs: list[dict], steps: list[str]) -> list[str]:
    """Each step's client and server times (median over the runs), ms."""

    def cell(step: str, key: str) -> str:
        return fmt(spread(runs, f"{step} {key}")[1])

    return [
        "| step | client p50 | client p95 | client p99 | server p50 | server p95 "
        "| server p99 | server CPU p50 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {step} | {cell(step, 'p50_ms')} | {cell(step, 'p95_ms')} "
            f"| {cell(step, 'p99_ms')} | {cell(step, 'server p50_ms')} "
            f"| {cell(step, 'server p95_ms')} | {cell(step, 'server p99_ms')} "
            f"| {cell(step, 'server cpu p50_ms')} |"
            for step in steps
            if spread(runs, f"{step} count")[1]
        ),
    ]


def steady_section(results: dict) -> list[str]:
    """The open-loop ladder, its knee, and the stage at half the knee."""
    found = results["open_loop"]
    a_rps = spread(results["a"], "rps")[1]
    knee = found["knee"]
    per_applicant = found["requests_per_applicant"]
    knee_rps = knee * per_applicant
    lines = [
        "## Steady load, open loop: applicants arriving at a fixed rate",
        "",
        "Applicants arrive at a fixed rate whatever the server's speed (Poisson "
        "arrivals, seeded), each one a new person who walks the whole flow and books "
        f"(9 requests), reading each page {open_loop.THINK_SECONDS[0]:g} to "
        f"{open_loop.THINK_SECONDS[1]:g} s before sending its form, on a démarche of "
        f"{fmt(open_loop.SLOTS * open_loop.CAPACITY)} places. The rate climbs stage by "
        f"stage ({open_loop.STAGE_SECONDS:g} s each, the first "
        f"{open_loop.WARM_UP_SECONDS:g} s not measured: a walk lasts about that long, "
        "so the measured half sees only people who arrived at that stage's rate; "
        "longer at the low rates, for at least "
        f"{open_loop.MIN_SAMPLES} requests of each step in the measured part, "
        "without which a p99 is only the slowest request) "
        f"until the p99 of some step passes {open_loop.P99_LIMIT_MS:g} ms, as the "
        "client saw it; one stage halfway then refines the knee. One ladder per run "
        "of `make bench` (each stage is its own measurement; the ladder takes "
        "minutes).",
        "",
        "| applicants/s | applicants/hour | arrived/s | requests/s | bookings/s "
        "| worst step p99, client ms | worst step p99, server ms "
        "| load generator's CPU share | machine busy | p99 < 300 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {rate:g} | {per_hour(rate)} | {fmt(f['arrivals_per_s'], 1)} "
            f"| {fmt(f['rps'])} | {fmt(f['bookings_per_s'], 1)} "
            f"| {fmt(open_loop.worst_p99(f))} "
            f"| {fmt(open_loop.worst_p99(f, server=True))} "
            f"| {fmt(100 * f['client_cpu_share'])} % "
            f"| {fmt(100 * f['machine_busy'])} % "
            f"| {'yes' if open_loop.worst_p99(f) < open_loop.P99_LIMIT_MS else '**no**'} |"
            for rate, f in found["stages"]
        ),
        "",
        (
            f"**Knee: {knee:g} applicants/s = {per_hour(knee)} applicants/hour**"
            + (
                " (at least: the highest rate tried stayed under the limit)"
                if found["reached_top"]
                else ""
            )
            + f", {fmt(knee_rps)} requests/s ({fmt(per_applicant, 1)} per applicant), "
            f"{ratio(knee_rps, a_rps)} of (a)'s {fmt(a_rps)} requests/s in the same run."
            if knee
            else "**No knee**: the lowest rate already passed the limit."
        ),
        "",
    ]
    if found["half"] is not None:
        lines += [
            f"At half the knee ({found['half_rate']:g} applicants/s = "
            f"{per_hour(found['half_rate'])}/hour), each step, ms (client: what the "
            "applicant waited, over loopback; server: inside Django, from the "
            "`Server-Timing` header; CPU: the worker's thread):",
            "",
            *step_table([found["half"]], scenarios.STEPS),
            "",
        ]
    return lines


def availability_section(results: dict) -> list[str]:
    """The slot page and the API with 5,000 open slots, beside (a) of the same run."""
    a_rps = spread(results["a"], "rps")[1]
    queries = results["queries"]
    kinds = [k.rsplit(" (", 1)[0] for k in queries if k.endswith("(50 slots)")]
    return [
        "## Availability: 5,000 open slots",
        "",
        "| figure | min | median | max | ratio (median) |",
        "| --- | --- | --- | --- | --- |",
        *(
            line
            for label, key in (
                ("slot page", "slot_page"),
                ("`/api/v1/creneaux`", "api"),
            )
            for line in (
                row(
                    f"{label}, requests/s",
                    results[key],
                    "rps",
                    0,
                    f"{ratio(spread(results[key], 'rps')[1], a_rps)} of (a)",
                ),
                row(f"{label} p50, ms", results[key], "p50_ms"),
                row(f"{label} p99, ms", results[key], "p99_ms"),
                row(f"{label} server p50, ms", results[key], "server_p50_ms", 1),
            )
        ),
        "",
        "SQL queries per request (counted in-process on the same database; "
        "*built*: nothing in the shared cache, as after any hold or booking):",
        "",
        "| request | 50 open slots | 5,000 open slots |",
        "| --- | --- | --- |",
        *(
            f"| {kind.replace('API', '`/api/v1/creneaux`')} "
            f"| {queries[f'{kind} (50 slots)']} | {queries[f'{kind} (5000 slots)']} |"
            for kind in kinds
        ),
        "",
    ]


def release_section(results: dict) -> list[str]:
    """The waiting list's release scenario, beside baseline (b) of the same run."""
    runs, b_rps = results["release"], spread(results["b"], "rps")[1]
    offers_per_s = spread(runs, "offers_per_s")[1]
    return [
        "## Release to the waiting list: 2,000 waiting, 300 places at once",
        "",
        f"{fmt(scenarios.RELEASE_PEOPLE)} people on the list of a démarche (register "
        "entries; agent priority for 15 %, titles expiring over two years, joined "
        "over two months, one or both of two sites, some half-days excluded) and "
        f"{scenarios.RELEASE_SLOTS} free slots of {scenarios.RELEASE_CAPACITY} places "
        "at the two sites. An agent switches the démarche to *liste d'attente* (the "
        "service behind the admin form); after its commit the Celery worker offers "
        "the places (one transaction per slot under the démarche's lock, earliest "
        "slot first) and the worker's other processes send each offer's SMS to the "
        "local provider as the offers are committed.",
        "",
        "| figure | min | median | max | ratio (median) |",
        "| --- | --- | --- | --- | --- |",
        row("the switch (its transaction), s", runs, "switch_s", 2),
        row(
            "until every offer is committed (the last one's trail), s",
            runs,
            "offers_s",
            2,
        ),
        row(
            "offers/s (300 / that time)",
            runs,
            "offers_per_s",
            0,
            f"{ratio(offers_per_s, b_rps)} of (b)",
        ),
        row(
            "until the provider received every offer's SMS, s",
            runs,
            "delivered_s",
            1,
        ),
        row("offers made", runs, "offers"),
        row("SMS duplicates", runs, "duplicates"),
        row("SMS missing", runs, "missing"),
        "",
        f"(b) in this run: {fmt(b_rps)} requests/s (median; {results['gunicorn']}, "
        "64 clients over HTTP, where the allocator is one worker process deciding "
        "one slot at a time).",
        "",
        "Checked in the database after each run: 300 offers, each slot offered "
        "exactly its capacity, all still open (nobody answered); replayed in the "
        "order they were decided, each offer went to the most urgent request that "
        "the place fits among those still waiting (agent priority, then title "
        "expiry, then joining), so the 300 offers went to the most urgent people "
        "the places fit; no numéro with two live offers; every offer's SMS received "
        "by the provider once, no other SMS.",
        "",
    ]


def delivery_section(results: dict) -> list[str]:
    """The 10 MB delivery list uploaded in the admin, read and written by the
    worker."""
    runs = results["delivery"]
    first = runs[0]
    return [
        f"## Delivery list: {first['mb']:.1f} MB ({fmt(first['lines'])} lines) "
        "uploaded in the admin",
        "",
        "French Excel's CSV (semicolons, Windows-1252), every line a new person. The "
        "upload stores the file and publishes the job (the request's part); the "
        "Celery worker reads it for the preview (nothing written); the agent "
        "confirms; the worker writes it in batches of 2,000 lines, each one "
        "transaction (cards created and marked ready, one SMS each in the outbox), "
        "while the worker's other processes start sending. Checked after each run: "
        "every line one ready card with one SMS, the stored file emptied. (The SMS "
        "are then withdrawn: sending at volume is the next section's.)"
        + (
            f" Measured {len(runs)} time{'s' if len(runs) > 1 else ''} "
            "(`bench/config.py`: DELIVERY_RUNS)."
        ),
        "",
        "| figure | min | median | max | ratio (median) |",
        "| --- | --- | --- | --- | --- |",
        row("upload (the request's work), s", runs, "upload_s", 2),
        row("until the preview is ready, s", runs, "preview_s", 1),
        row("import after the confirmation, s", runs, "import_s", 1),
        row("import, lines/s", runs, "lines_per_s", 0),
        "",
    ]


def _confirm_vs_probe(runs: list[dict]) -> float | None:
    """The median over the runs of the confirm's server p50 against (b)'s sampled
    beside the applicants (flow._probe_b); None for results saved before it."""
    key = f"{scenarios.PROBE_STEP} server p50_ms"
    if not all(key in run for run in runs):
        return None
    return statistics.median(
        run["confirm POST server p50_ms"] / run[key] for run in runs
    )


def _probe_rows(runs: list[dict]) -> list[str]:
    """Baseline (b) sampled beside the applicants: the confirm against a bare
    booking POST on the same loaded machine."""
    vs = _confirm_vs_probe(runs)
    if vs is None:
        return []
    return [
        row(
            "… (b) inside the rush, server p50, ms (bare booking POSTs sent "
            f"{scenarios.PROBE_RATE} times a second beside the applicants; those "
            "sent while they confirm)",
            runs,
            f"{scenarios.PROBE_STEP} server p50_ms",
            1,
            f"confirm {fmt(vs, 2)}× it",
        ),
        row(
            "… (b) inside the rush, requests measured",
            runs,
            f"{scenarios.PROBE_STEP} count",
        ),
    ]


def _probe_note(runs: list[dict]) -> str:
    """The confirm against (b) sent inside the rush, for the targets table: the
    target itself stays against (b)'s own closed loop, as the issue set it."""
    vs = _confirm_vs_probe(runs)
    if vs is None:
        return ""
    return f"; {fmt(vs, 2)}× (b) sent inside the rush while applicants confirm"


def _cpu_per_request(runs: list[dict], groups: tuple[str, ...]) -> float:
    """Median over the runs of these process groups' CPU per request, ms."""
    return statistics.median(
        1000
        * sum(run[f"cpu_s {group}"] for group in groups)
        / run.get("metered_requests", run["requests"])
        for run in runs
    )


def _cpu_rows(results: dict) -> list[str]:
    """The rush's CPU per request by process, beside (a)'s measured just before
    each run: where the machine's two cores went (absent from older results)."""
    runs, a_runs = results["rush"], results.get("rush_a") or []
    if not all("cpu_s web" in run for run in [*runs, *a_runs]) or not a_runs:
        return []
    rows = [((group,), group) for group in timings.GROUPS]
    return [
        "CPU per request by process, ms (`/proc`, median of the runs; the "
        "machine has 2 cores, so a rate of R requests/s can use at most 2000 / R "
        "ms a request in all):",
        "",
        "| process | rush | (a) just before it |",
        "| --- | --- | --- |",
        *(
            f"| {label} | {fmt(_cpu_per_request(runs, groups), 2)} "
            f"| {fmt(_cpu_per_request(a_runs, groups), 2)} |"
            for groups, label in [*rows, (timings.GROUPS, "all of them")]
        ),
        "",
    ]


def rush_section(results: dict) -> list[str]:
    """The rush's figures against (a) and (b) of the same run, and its steps."""
    paired = rush_paired(results)
    pmed = {key: spread(paired, key)[1] for key in paired[0]}
    statuses: dict[int, list[int]] = {}
    for run in results["rush_statuses"]:
        for status in run:
            statuses.setdefault(status, [])
    for status in statuses:
        statuses[status] = [run.get(status, 0) for run in results["rush_statuses"]]

    return [
        "## Rush: 2,000 applicants at once, 300 places in 6 slots",
        "",
        *(
            [
                "Each run follows its own baselines (a) and (b), measured a minute "
                "before it on the same gunicorn: the machine's speed drifts within "
                "one make bench (`bench/run.py`, `_rushes`). Ratios are the median "
                "of the runs' own.",
                "",
            ]
            if "rush_a" in results
            else []
        ),
        "| figure | min | median | max | ratio (median) |",
        "| --- | --- | --- | --- | --- |",
        row(
            "time until every applicant has an answer, s",
            results["rush"],
            "answered_s",
            1,
        ),
        row("completed bookings", results["rush"], "bookings"),
        row("told there is no slot left", results["rush"], "no_slot"),
        row(
            "completed bookings/s (until the last one)",
            results["rush"],
            "bookings_per_s",
            1,
        ),
        row(
            "requests/s",
            results["rush"],
            "rps",
            0,
            f"{100 * pmed['rps_share']:.0f} % of (a)",
        ),
        row("… (a) just before the run, requests/s", paired, "a_rps"),
        row(
            "confirm step, confirmations/s while confirming",
            results["rush"],
            "confirm_rps",
            0,
            f"{100 * pmed['confirm_rps_share']:.0f} % of (b)",
        ),
        row("confirm step p50 (client), ms", results["rush"], "confirm_p50_ms", 0),
        row(
            "confirm step p50 (server, inside Django), ms",
            results["rush"],
            "confirm POST server p50_ms",
            1,
            f"{pmed['confirm_vs_b']:.2f}× (b)'s",
        ),
        row("… (b) just before the run, server p50, ms", paired, "b_server", 1),
        *_probe_rows(results["rush"]),
        row("requests", results["rush"], "requests"),
        row("requests per winner (booked)", results["rush"], "requests_per_winner", 1),
        row(
            "requests per loser (told there is no slot left)",
            results["rush"],
            "requests_per_loser",
            1,
        ),
        row(
            "losers whose gate POST came after the sell-out",
            results["rush"],
            "late_losers",
        ),
        row(
            "… most requests one of those losers made",
            results["rush"],
            "late_loser_max_requests",
        ),
        row(
            f"late wave: {scenarios.LATE_APPLICANTS} more applicants after the "
            "sell-out, requests each (mean)",
            results["rush"],
            "late_wave_mean_requests",
            2,
        ),
        row(
            "… most requests one of the late wave made",
            results["rush"],
            "late_wave_max_requests",
        ),
        row(
            "load generator's share of the busy CPU, %",
            [{"v": 100 * r["client_cpu_share"]} for r in results["rush"]],
            "v",
        ),
        "",
        *_cpu_rows(results),
        "Each step in the rush, ms (client: what the applicant waited, most of it "
        "in the queue of 2,000; server: inside Django, from the `Server-Timing` "
        "header; CPU: the worker's thread):",
        "",
        *step_table(results["rush"], scenarios.STEPS),
        "",
        "Responses by status code (run 1 / 2 / 3): "
        + ", ".join(
            f"**{status}**: {' / '.join(map(str, counts))}"
            for status, counts in sorted(statuses.items())
        )
        + " — no 5xx, every applicant answered.",
        "",
        "Checked in the database after each run: no slot over capacity, no numéro "
        "étranger with two active bookings, every success page (reference, numéro) "
        "matches exactly one booking and every booking one success page, and all "
        "300 places booked.",
        "",
    ]


def write(results: dict, log_dir: Path) -> None:
    med: dict[str, dict[str, float]] = {
        k: {} for k in ("a", "b", "c", "d", "rush", "slot_page", "api", "sms")
    }
    for name in med:
        for key in results[name][0]:
            med[name][key] = spread(results[name], key)[1]
    a_rps = med["a"]["rps"]
    rush = med["rush"]
    paired = rush_paired(results)
    pmed = {key: spread(paired, key)[1] for key in paired[0]}
    half = results["open_loop"]["half"]
    half_p99 = open_loop.worst_p99(half) if half is not None else float("nan")
    queries = results["queries"]
    kinds = [k.rsplit(" (", 1)[0] for k in queries if k.endswith("(50 slots)")]
    constant = all(
        queries[f"{kind} (50 slots)"] == queries[f"{kind} (5000 slots)"]
        for kind in kinds
    )
    confirm_server = rush["confirm POST server p50_ms"]
    late_max = max(
        max(r["late_loser_max_requests"], r["late_wave_max_requests"])
        for r in results["rush"]
    )
    targets = [
        (
            "rush: confirm POST server time p50 ≤ 2× (b)'s",
            f"{fmt(confirm_server, 1)} ms against {fmt(pmed['b_server'], 1)} ms: "
            f"{pmed['confirm_vs_b']:.2f}× ({_against(results, '(b)')})"
            + _probe_note(results["rush"]),
            pmed["confirm_vs_b"] <= 2,
        ),
        (
            "rush requests/s ≥ 50 % of (a)",
            f"{100 * pmed['rps_share']:.0f} % ({_against(results, '(a)')})",
            pmed["rps_share"] >= 0.5,
        ),
        (
            "rush: every applicant answered within 3× what (a)'s rate needs "
            "for the same requests",
            f"{fmt(rush['answered_s'], 1)} s against {fmt(pmed['a_time'], 1)} s: "
            f"{pmed['answered_vs_a']:.2f}× (median of the runs)",
            pmed["answered_vs_a"] <= 3,
        ),
        (
            "rush: an applicant arriving after the sell-out costs ≤ 2 requests",
            f"at most {fmt(late_max)} (the {fmt(rush['late_wave'])} of the late wave "
            f"and the {fmt(rush['late_losers'])} losers whose gate POST came after "
            "the last hold, median run)",
            late_max <= 2,
        ),
        (
            "rush: 0 invariant broken, 0 5xx",
            "checked after each run (the bench stops otherwise)",
            True,
        ),
        (
            "open loop: every step's p99 < 300 ms at half the knee",
            f"worst step p99 {fmt(half_p99)} ms at "
            f"{results['open_loop']['half_rate']:g} applicants/s",
            half_p99 < open_loop.P99_LIMIT_MS,
        ),
        ("availability: query count constant", "see table", constant),
        (
            "slot page requests/s ≥ 25 % of (a)",
            ratio(med["slot_page"]["rps"], a_rps),
            med["slot_page"]["rps"] >= 0.25 * a_rps,
        ),
        (
            "API requests/s ≥ 25 % of (a)",
            ratio(med["api"]["rps"], a_rps),
            med["api"]["rps"] >= 0.25 * a_rps,
        ),
        (
            "SMS delivery ≥ 40 % of (d) drain rate",
            ratio(med["sms"]["delivery_rate"], med["d"]["drain_rate"]),
            med["sms"]["delivery_rate"] >= 0.4 * med["d"]["drain_rate"],
        ),
        (
            "marking 10,000 ready ≤ 2× (d) enqueue time",
            f"{med['sms']['marked_s'] / med['d']['enqueue_s']:.2f}×",
            med["sms"]["marked_s"] <= 2 * med["d"]["enqueue_s"],
        ),
    ]

    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; the whole "
        f"run took {results['wall_s'] / 60:.1f} minutes. Every figure is min / median "
        f"/ max over {results['runs']} runs; ratios compare medians with the "
        "baselines measured in the same run, on the same gunicorn configuration, "
        "with the same load generator (an asyncio client on httpx, one process).",
        "",
        "## Machine and versions",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in m.items()),
        "",
        "## Configuration",
        "",
        "Production settings on loopback (`DEBUG=false`, `CONN_MAX_AGE=60`; sessions, "
        "cache and broker on Redis; `SMS_BATCH_SIZE=50`, `AVAILABILITY_CACHE_SECONDS=5`) "
        "with `ANTIBOT=off`, `HTTPS_ONLY=false`, the SMS sent to the tests' local Brevo "
        "server. gunicorn as in the README (`--timeout 30 --preload --max-requests 2000 "
        "--max-requests-jitter 200`).",
        "",
        "gunicorn worker class and count, chosen by a 6-second steady load (64 "
        "virtual applicants) on each candidate, a later one only if it beats "
        f"the first by {100 * (config.CANDIDATE_MARGIN - 1):.0f} % (why these "
        "candidates and that margin: `bench/config.py`; gthread workers dropped "
        "requests when replaced by `--max-requests`):",
        "",
        "| configuration | requests/s |",
        "| --- | --- |",
        *(
            f"| {label}{' **(chosen)**' if label == results['gunicorn'] else ''} "
            f"| {fmt(rps)} |"
            for label, rps in results["gunicorn_choice"].items()
        ),
        "",
        f"Celery worker: {results['celery']} (baseline (d) and the SMS scenario).",
        "",
        "## Baselines",
        "",
        "| figure | min | median | max | |",
        "| --- | --- | --- | --- | --- |",
        row("(a) minimal view, requests/s", results["a"], "rps"),
        row(
            "(a) p50 / p99, ms",
            results["a"],
            "p50_ms",
            1,
            f"p99 median {fmt(med['a']['p99_ms'], 1)} ms",
        ),
        row(
            "(a) server time p50 (inside Django), ms",
            results["a"],
            "server_p50_ms",
            2,
            f"CPU p50 {fmt(med['a']['server_cpu_p50_ms'], 2)} ms",
        ),
        row(
            "(a) load generator's share of the busy CPU, %",
            [{"v": 100 * r["client_cpu_share"]} for r in results["a"]],
            "v",
        ),
        row("(b) booking POST through the ORM, requests/s", results["b"], "rps"),
        row(
            "(b) p50 / p99, ms",
            results["b"],
            "p50_ms",
            1,
            f"p99 median {fmt(med['b']['p99_ms'], 1)} ms",
        ),
        row(
            "(b) server time p50 (inside Django), ms",
            results["b"],
            "server_p50_ms",
            2,
            f"CPU p50 {fmt(med['b']['server_cpu_p50_ms'], 2)} ms",
        ),
        row(
            "(c) same transaction in pgbench, transactions/s",
            results["c"],
            "rps",
            extra="connections = web workers",
        ),
        row("(d) enqueue 10,000 no-op tasks, s", results["d"], "enqueue_s", 2),
        row("(d) drain 10,000 no-op tasks, s", results["d"], "drain_s", 2),
        row("(d) drain rate, tasks/s", results["d"], "drain_rate"),
        "",
        "Concurrency: 64 closed-loop clients for (a) and (b), 5 s each; pgbench with "
        "one connection per web worker (what gunicorn can hold open), 5 s.",
        "",
        *rush_section(results),
        *steady_section(results),
        *availability_section(results),
        *release_section(results),
        *delivery_section(results),
        '## "Carte disponible": 10,000 cards marked ready',
        "",
        "| figure | min | median | max | ratio (median) |",
        "| --- | --- | --- | --- | --- |",
        row("time to commit, s", results["sms"], "commit_s", 2),
        row(
            "service call (commit + the tasks enqueued, 50 messages each), s",
            results["sms"],
            "marked_s",
            2,
            f"{med['sms']['marked_s'] / med['d']['enqueue_s']:.2f}× (d) enqueue",
        ),
        row(
            "until the provider received all 10,000, s",
            results["sms"],
            "delivered_s",
            1,
        ),
        row(
            "delivery, messages/s",
            results["sms"],
            "delivery_rate",
            0,
            f"{ratio(med['sms']['delivery_rate'], med['d']['drain_rate'])} of (d) drain",
        ),
        row("duplicates", results["sms"], "duplicates"),
        row("missing", results["sms"], "missing"),
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {value} | {'met' if ok else '**missed**'} |"
            for name, value, ok in targets
        ),
        "",
        "## Profile of the rush",
        "",
        f"One more rush ({scenarios.PROFILED_RUSH_APPLICANTS} applicants) on the same configuration, one request in "
        "five of each gunicorn worker under pyinstrument: "
        f"[`{PROFILE.name}`]({PROFILE.name}).",
        "",
        NOTES.read_text().strip() if NOTES.exists() else "",
        "",
    ]
    session = combine_profiles(results["profile_dir"])
    if session is not None:
        from pyinstrument.renderers import ConsoleRenderer

        flat = ConsoleRenderer(flat=True, show_all=False).render(session)
        tree = ConsoleRenderer(unicode=True, show_all=False).render(session)
        PROFILE.write_text(
            f"Rush profile ({scenarios.PROFILED_RUSH_APPLICANTS} applicants): one request in five of each gunicorn "
            "worker, combined (pyinstrument).\n"
            "Self time by function, then the call tree.\n\n" + flat + "\n\n" + tree
        )
    tmp = OUTPUT.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines))
    tmp.replace(OUTPUT)
