"""Benchmark of the public agenda: requests per second against a bare endpoint.

Builds a database of ``--events`` published events (SQLite under bench/.data
by default, PostgreSQL with ``BENCH_DATABASE_URL`` or ``--database-url``),
serves the real app with gunicorn (one process group for every target), then
measures requests per second, mean and p95 latency of:

* a filtered agenda page (campaign + département + kind, a full page of 20
  with pagination),
* the unfiltered agenda ``/events/``,
* the same two pages through ``/_bench/uncached/events/``, the agenda view
  without its page cache (``*-miss``: what rendering a page costs),
* ``/_bench/bare``, a trivial template with no database (the baseline),

and prints agenda_rps / bare_rps against the target ratio of 0.5.

The page cache is the app's own configuration for the embedded mode (files
under the benchmark's instance folder, emptied at each run); ``CACHE_TYPE`` in
the environment is passed on (``CACHE_TYPE=NullCache`` turns it off).
``REDIS_URL`` is not: the benchmark never writes to a shared Redis; set
``BENCH_REDIS_URL`` (a Redis database of its own) to measure with Redis.

    .venv/bin/python bench/agenda.py                 # SQLite
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/eventsapp_bench \\
        .venv/bin/python bench/agenda.py             # PostgreSQL

This is a benchmark, not a test: it exits with 0 whether the ratio is met or
not, and with 1 when the server fails or answers anything but 200.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402

from bench.agenda_data import (  # noqa: E402
    FILTER_DEPARTMENT,
    FILTER_KIND,
    BuildSummary,
    build_database,
    inspect_database,
    reset_database,
)
from bench.loadgen import BadResponse, LoadResult, expand_path, fetch, run_load  # noqa: E402

DATA_DIR = REPO_ROOT / "bench" / ".data"
# The route bench/agenda_app.py adds (not imported from there: importing it builds an app).
BARE_PATH = "/_bench/bare"
HOST = "127.0.0.1"
TARGET_RATIO = 0.5
PAGE_SIZE = 20
# The agenda view without its page cache, added by bench/agenda_app.py.
UNCACHED_AGENDA_PATH = "/_bench/uncached/events/"
NAME_WIDTH = 22
SERVER_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Target:
    name: str
    path: str

    @property
    def shown_path(self) -> str:
        return self.path.replace("{n}", "<n>")


def agenda_targets(campaign_slug: str) -> list[Target]:
    """The agenda pages, cached and not, then the bare page (last)."""
    filtered = f"/events/?campaign={campaign_slug}&department={FILTER_DEPARTMENT}&kind={FILTER_KIND}"
    unfiltered = "/events/"
    return [
        Target("agenda-filtered", filtered),
        Target("agenda-all", unfiltered),
        Target("agenda-filtered-miss", filtered.replace(unfiltered, UNCACHED_AGENDA_PATH, 1)),
        Target("agenda-all-miss", UNCACHED_AGENDA_PATH),
        Target("bare", BARE_PATH),
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Requests per second of the agenda against a bare endpoint, served by gunicorn."
    )
    parser.add_argument("--events", type=int, default=2000, help="published events to build (default 2000)")
    parser.add_argument(
        "--seconds", type=float, default=6.0, help="measured seconds per target, over all rounds (default 6)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per target (default 3)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per target (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or None,
        help="database to build and serve (default: $BENCH_DATABASE_URL, else a SQLite file in bench/.data)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database if it already holds a built data set"
    )
    parser.add_argument(
        "--show-queries",
        action="store_true",
        help="print the SQL one request to each agenda URL sends (in-process, no gunicorn), then exit",
    )
    args = parser.parse_args(argv)
    if args.events < 1 or args.seconds <= 0 or args.rounds < 1 or args.workers < 1 or args.threads < 1:
        parser.error("--events, --seconds, --rounds, --workers and --threads must be positive")
    if args.warmup < 0:
        parser.error("--warmup cannot be negative")
    return args


def default_database_url(events: int) -> str:
    return f"sqlite:///{DATA_DIR / f'agenda-{events}.sqlite'}"


def describe_url(url: str) -> str:
    """The URL without its password, for the report."""
    return sa.make_url(url).render_as_string(hide_password=True)


def server_environment(database_url: str, instance_path: Path) -> dict[str, str]:
    """The environment of the app, in this process (to build) and in gunicorn."""
    return {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "bench-agenda-not-a-secret",
        # Empty means unset for Config: no shared Redis unless asked for.
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", ""),
        "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH")))),
    }


def make_app(environment: dict[str, str]) -> Flask:
    """The real app, configured as gunicorn's workers will be."""
    os.environ.update(environment)
    from eventsapp import create_app

    return create_app()


def prepare_database(app: Flask, url: str, events: int, keep: bool) -> BuildSummary:
    """Reuse the database with ``--keep`` when it holds events; else rebuild it."""
    if keep:
        summary = inspect_database(app)
        if summary is not None:
            print(f"database   : kept {describe_url(url)}: {summary.describe()}")
            if summary.published_events != events:
                print(
                    f"             (note: it holds {summary.published_events} published events, not {events})"
                )
            return summary
        print("database   : nothing to keep, building")
    started = perf_counter()
    reset_database(url)
    summary = build_database(app, events)
    print(f"database   : built {describe_url(url)} in {perf_counter() - started:.1f} s: {summary.describe()}")
    return summary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(
    environment: dict[str, str],
    workers: int,
    port: int,
    log_path: Path,
    app_module: str = "bench.agenda_app:app",
) -> subprocess.Popen:
    """gunicorn serving ``app_module`` (``bench.agenda_app:app`` by default),
    in its own process group."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(REPO_ROOT),
        "--error-logfile",
        "-",
        "--log-level",
        "warning",
        app_module,
    ]
    log_file = log_path.open("w")
    try:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **environment},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log_file.close()


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's master (it stops its workers), SIGKILL to the
    group if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until_ready(process: subprocess.Popen, port: int, log_path: Path, path: str = BARE_PATH) -> None:
    """Poll ``GET path`` until it answers 200 (``BadResponse`` on another
    status, ``RuntimeError`` if gunicorn exits or does not answer in time)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_tail(log_path)}")
        try:
            status, _body = fetch(HOST, port, path, timeout=5)
        except OSError:
            time.sleep(0.1)
            continue
        if status == 200:
            return
        raise BadResponse(f"GET {path} answered {status} at start-up:\n{log_tail(log_path)}")
    raise RuntimeError(f"gunicorn did not answer within {SERVER_START_TIMEOUT:.0f} s:\n{log_tail(log_path)}")


def check_agenda_page(port: int, target: Target) -> str:
    """One GET of an agenda URL: 200, a full page of events and pagination;
    returns a one-line description of the page."""
    path = expand_path(target.path, "check")
    status, body = fetch(HOST, port, path)
    if status != 200:
        raise BadResponse(f"GET {path} answered {status}: {body[:300]!r}")
    html = body.decode("utf-8", "replace")
    cards = html.count('class="event-card"')
    total_match = re.search(r'class="result-count"[^>]*>\s*(\d[\d\s\u202f\u00a0]*)', html)
    total = re.sub(r"\D", "", total_match.group(1)) if total_match else "?"
    paginated = 'rel="next"' in html
    line = f"{total} matching events, {cards} on the page, {'paginated' if paginated else 'NOT paginated'}"
    if cards < PAGE_SIZE or not paginated:
        line += "  <- WARNING: not a full page with pagination"
    return f"{line}, {len(body) / 1024:.0f} KiB"


def measure(
    port: int, targets: list[Target], seconds: float, rounds: int, warmup: float, threads: int
) -> dict[str, LoadResult]:
    """Warm every target up, then run ``rounds`` interleaved rounds (the order
    rotates each round) of ``seconds / rounds`` per target."""
    for target in targets:
        run_load(HOST, port, target.path, warmup, threads)
    results = {target.name: LoadResult() for target in targets}
    slice_seconds = seconds / rounds
    for round_index in range(rounds):
        shift = round_index % len(targets)
        for target in targets[shift:] + targets[:shift]:
            results[target.name].add(run_load(HOST, port, target.path, slice_seconds, threads))
    return results


def print_report(targets: list[Target], results: dict[str, LoadResult], bare_target: Target) -> None:
    print()
    print(
        f"{'target':<{NAME_WIDTH}}{'requests':>9}{'req/s':>9}{'rounds min-max':>16}"
        f"{'mean ms':>9}{'p95 ms':>9}{'client CPU':>12}"
    )
    for target in targets:
        result = results[target.name]
        spread = f"{min(result.round_rps):.0f}-{max(result.round_rps):.0f}"
        print(
            f"{target.name:<{NAME_WIDTH}}{result.requests:>9}{result.rps:>9.1f}{spread:>16}"
            f"{result.mean_ms:>9.2f}{result.p95_ms:>9.2f}{result.client_cpu_share:>11.0%}"
        )
    print("(client CPU: the load generator's CPU time over the wall time, 100% = one core)")
    print()
    print(f"ratio agenda_rps / bare_rps (target >= {TARGET_RATIO})")
    bare = results[bare_target.name]
    for target in targets:
        if target is bare_target:
            continue
        result = results[target.name]
        ratio = result.rps / bare.rps if bare.rps else 0.0
        # Each round runs the targets one after the other: the ratio within a
        # round is the least disturbed by whatever else the machine is doing.
        per_round = [a / b for a, b in zip(result.round_rps, bare.round_rps, strict=True) if b]
        spread = f"(rounds {min(per_round):.2f}-{max(per_round):.2f})" if per_round else ""
        verdict = "PASS" if ratio >= TARGET_RATIO else "BELOW"
        print(f"  {target.name:<{NAME_WIDTH}}{ratio:>5.2f} {spread:<19}{verdict:<6} {target.shown_path}")


def show_queries(app: Flask, targets: list[Target]) -> None:
    """Send one request to each URL in-process and print the SQL it ran, timed
    (use the uncached agenda path, so that the page cache does not answer)."""
    from eventsapp.extensions import db

    if "bench_uncached_agenda" not in app.view_functions:
        app.add_url_rule(
            UNCACHED_AGENDA_PATH,
            endpoint="bench_uncached_agenda",
            view_func=app.view_functions["catalog.agenda"].uncached,
        )

    with app.app_context():
        engine = db.engine
    records: list[tuple[str, Any, float]] = []

    def before(conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
        conn.info.setdefault("bench_started", []).append(perf_counter())

    def after(conn, _cursor, statement, parameters, _context, _executemany) -> None:
        records.append((statement, parameters, perf_counter() - conn.info["bench_started"].pop()))

    client = app.test_client()
    for target in targets:
        client.get(expand_path(target.path, "warm"))  # templates compiled, a connection in the pool
        records.clear()
        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        try:
            started = perf_counter()
            response = client.get(expand_path(target.path, "show"))
            total = perf_counter() - started
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)
            sa.event.remove(engine, "after_cursor_execute", after)
        sql_time = sum(duration for *_rest, duration in records)
        print(f"\n== {target.name}: GET {target.shown_path} -> {response.status_code}")
        print(
            f"   {len(records)} statements, {1000 * sql_time:.2f} ms in SQL of {1000 * total:.2f} ms in all"
        )
        for index, (statement, parameters, duration) in enumerate(records, start=1):
            print(f"\n-- [{index}] {1000 * duration:.2f} ms  params={parameters!r}")
            print(" ".join(statement.split()))


def exit_on_signal(signum: int, _frame: object) -> None:
    """SIGTERM/SIGHUP become SystemExit, so ``finally`` stops gunicorn (which
    runs in its own session and would not get the signal)."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, exit_on_signal)
    logging.basicConfig(level=logging.WARNING)  # keeps Alembic's INFO lines out of the report
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or default_database_url(args.events)
    backend = sa.make_url(database_url).get_backend_name()
    environment = server_environment(database_url, DATA_DIR / f"instance-{backend}")

    print("eventsapp agenda benchmark")
    app = make_app(environment)
    summary = prepare_database(app, database_url, args.events, args.keep)
    targets = agenda_targets(summary.campaign_slugs[0])
    if args.show_queries:
        show_queries(app, [target for target in targets if target.path.startswith(UNCACHED_AGENDA_PATH)])
        return 0
    cache_type = app.config.get("CACHE_TYPE", "none")
    if cache_type == "FileSystemCache":
        # Start from an empty page cache (it lives in the benchmark's instance folder).
        shutil.rmtree(app.config["CACHE_DIR"], ignore_errors=True)

    port = free_port()
    log_path = DATA_DIR / "gunicorn.log"
    process = start_server(environment, args.workers, port, log_path)
    try:
        wait_until_ready(process, port, log_path)
        print(
            f"server     : gunicorn, {args.workers} sync workers, {HOST}:{port}, pid {process.pid}, {backend}"
        )
        print(f"page cache : {cache_type}")
        print(
            f"client     : {args.threads} threads of http.client, warm-up {args.warmup:g} s per target, "
            f"then {args.rounds} interleaved rounds, {args.seconds:g} s per target in all"
        )
        load = os.getloadavg()[0]
        print(
            f"machine    : {os.cpu_count()} CPUs, load average {load:.2f} before the run, "
            f"Python {platform.python_version()}"
        )
        print(
            "note       : the client and the server share this machine's CPUs: absolute req/s are "
            "pessimistic, compare the ratio"
        )
        if load > 0.5 * (os.cpu_count() or 1):
            print("             WARNING: the machine is busy; numbers will be noisy")
        for target in targets[:-1]:
            print(f"page       : {target.name}: {check_agenda_page(port, target)}")
        results = measure(port, targets, args.seconds, args.rounds, args.warmup, args.threads)
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited during the run:\n{log_tail(log_path)}")
    except (BadResponse, RuntimeError, OSError) as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
        print(f"server log ({log_path}):\n{log_tail(log_path)}", file=sys.stderr)
        return 1
    finally:
        stop_server(process)
    print_report(targets, results, targets[-1])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted (gunicorn stopped)", file=sys.stderr)
        sys.exit(130)
