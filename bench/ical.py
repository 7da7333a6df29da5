"""Benchmark of the iCal feeds: a feed of 2,000 events, built and revalidated.

Builds the agenda benchmark's data set (``bench/agenda_data.py``: 2,000
published events in the coming weeks; SQLite under bench/.data by default,
PostgreSQL with ``BENCH_DATABASE_URL`` or ``--database-url``), serves the real
app with gunicorn (``bench/ical_app.py``), then measures two ratios:

1. **first request / library**: the time of a request for ``/calendar.ics``
   (every upcoming event: the 2,000) with the cache of built feeds empty,
   against the in-process ``icalendar`` serialization of the same 2,000
   events in this process (rows already loaded, one VTIMEZONE built
   beforehand: only the library's work is timed). Medians of
   ``--first-requests`` runs. Target: ratio <= 1.3 (the library is the limit).
2. **304 / bare**: requests per second of conditional requests for the same
   feed answered ``304 Not Modified`` (``If-None-Match`` with its ETag),
   against a bare Flask endpoint (``/_bench/bare``) in the same gunicorn.
   Target: ratio >= 0.7.

    .venv/bin/python bench/ical.py                   # SQLite
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/eventsapp_bench \\
        .venv/bin/python bench/ical.py               # PostgreSQL

This is a benchmark, not a test: it exits with 0 whether the targets are met
or not, and with 1 when the server fails or answers anything unexpected.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import signal
import statistics
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from icalendar import Calendar, Timezone, vDuration  # noqa: E402
from icalendar import Event as VEvent  # noqa: E402

from bench.agenda import (  # noqa: E402
    HOST,
    describe_url,
    exit_on_signal,
    free_port,
    log_tail,
    make_app,
    prepare_database,
    server_environment,
    start_server,
    stop_server,
    wait_until_ready,
)
from bench.ical_load import run_conditional_load, timed_get  # noqa: E402
from bench.loadgen import BadResponse, LoadResult  # noqa: E402

DATA_DIR = REPO_ROOT / "bench" / ".data"
BARE_PATH = "/_bench/bare"
FEED_PATH = "/calendar.ics"
# Another feed, requested once per worker before measuring: imports done,
# connections open, VTIMEZONE computed; the measured feed stays uncached.
WARM_PATH = "/calendar.ics?department=53"
TARGET_FIRST_RATIO = 1.3
TARGET_304_RATIO = 0.7


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="iCal feed of 2,000 events: first request and 304s, gunicorn."
    )
    parser.add_argument("--events", type=int, default=2000, help="published events to build (default 2000)")
    parser.add_argument(
        "--first-requests", type=int, default=7, help="uncached requests (and library runs) timed (default 7)"
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds per 304/bare target (default 6)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per target (default 3)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per target (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="client threads for the 304 load (default 4)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or None,
        help="database to build and serve (default: $BENCH_DATABASE_URL, else a SQLite file in bench/.data)",
    )
    parser.add_argument("--keep", action="store_true", help="reuse the database if it holds a data set")
    args = parser.parse_args(argv)
    if (
        min(args.events, args.first_requests, args.rounds, args.workers, args.threads) < 1
        or args.seconds <= 0
    ):
        parser.error("counts and --seconds must be positive")
    return args


# The library baseline ---------------------------------------------------------------


def load_feed_rows(app: Flask) -> list[Any]:
    """The rows of the events ``/calendar.ics`` holds, as the app selects them."""
    from eventsapp.calendars.service import _ENTRY_COLUMNS, public_feed_statement
    from eventsapp.catalog.filters import AgendaFilters
    from eventsapp.catalog.models import Event
    from eventsapp.extensions import db
    from eventsapp.organisations.models import Organisation

    with app.test_request_context():
        statement = public_feed_statement(AgendaFilters(), datetime.now(UTC))
        rows = db.session.execute(
            statement.with_only_columns(*_ENTRY_COLUMNS).join(
                Organisation, Organisation.id == Event.organisation_id
            )
        ).all()
        db.session.remove()
    return rows


def library_serialization(rows: list[Any], vtimezone: Timezone, base_url: str) -> bytes:
    """The same events as VEVENTs with the same properties, straight with
    ``icalendar``: the cost of the library alone."""
    paris = ZoneInfo("Europe/Paris")
    calendar = Calendar()
    calendar.add("prodid", "-//bench//iCal baseline//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Agenda de l'ESS")
    calendar.add("x-wr-caldesc", "Événements de l'économie sociale et solidaire")
    calendar.add("x-wr-timezone", "Europe/Paris")
    refresh = vDuration(datetime(2000, 1, 1, 1) - datetime(2000, 1, 1))
    refresh.params["VALUE"] = "DURATION"
    calendar.add("refresh-interval", refresh)
    calendar.add("x-published-ttl", refresh)
    calendar.add_component(vtimezone)
    for row in rows:
        url = f"{base_url}/events/{row.slug}"
        vevent = VEvent()
        vevent.add("uid", f"event-{row.id}@bench")
        vevent.add("dtstamp", row.updated_at)
        vevent.add("dtstart", row.starts_at.astimezone(paris))
        vevent.add("dtend", row.ends_at.astimezone(paris))
        vevent.add("sequence", row.sequence)
        vevent.add("summary", row.title)
        vevent.add(
            "description",
            f"{row.summary}\n\n{row.description}\n\nOrganisé par {row.organisation_name}\n\n"
            f"Page de l'événement : {url}",
        )
        vevent.add("location", f"{row.venue_name}, {row.venue_address}, {row.venue_postcode} {row.commune}")
        if row.latitude is not None:
            vevent.add("geo", (row.latitude, row.longitude))
        vevent.add("url", url)
        vevent.add("categories", [str(row.kind)])
        vevent.add("status", "CONFIRMED")
        vevent.add("created", row.created_at)
        vevent.add("last-modified", row.updated_at)
        calendar.add_component(vevent)
    return calendar.to_ical()


def time_library(rows: list[Any], runs: int) -> tuple[list[float], int]:
    years = [row.starts_at.year for row in rows] or [datetime.now(UTC).year]
    vtimezone = Timezone.from_tzid(
        "Europe/Paris", first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1)
    )
    library_serialization(rows, vtimezone, "http://127.0.0.1")  # warm-up
    times, size = [], 0
    for _ in range(runs):
        started = perf_counter()
        body = library_serialization(rows, vtimezone, "http://127.0.0.1")
        times.append(perf_counter() - started)
        size = len(body)
    return times, size


# The server --------------------------------------------------------------------------


def clear_built_feeds(app: Flask) -> None:
    """Empty the app's cache (the benchmark's own: files under its instance
    folder, or the Redis database of ``BENCH_REDIS_URL``)."""
    from eventsapp.extensions import cache

    with app.app_context():
        cache.clear()


def time_first_requests(
    app: Flask, port: int, runs: int, expected_events: int
) -> tuple[list[float], float, str]:
    """Uncached requests (cache emptied before each); then one cached request.
    Returns the uncached times, the cached time and the feed's ETag."""
    times = []
    etag = ""
    for _ in range(runs):
        clear_built_feeds(app)
        elapsed, status, headers, body = timed_get(HOST, port, FEED_PATH)
        if status != 200:
            raise BadResponse(f"GET {FEED_PATH} answered {status}: {body[:300]!r}")
        count = body.count(b"BEGIN:VEVENT")
        if count != expected_events:
            raise BadResponse(f"GET {FEED_PATH} gave {count} events, expected {expected_events}")
        times.append(elapsed)
        etag = headers.get("ETag", "")
    cached, status, _headers, _body = timed_get(HOST, port, FEED_PATH)
    if status != 200:
        raise BadResponse(f"cached GET {FEED_PATH} answered {status}")
    return times, cached, etag


def measure_304(port: int, etag: str, seconds: float, rounds: int, warmup: float, threads: int):
    targets = [
        ("feed-304", FEED_PATH, {"If-None-Match": etag}, 304),
        ("bare", BARE_PATH, {}, 200),
    ]
    for _name, path, headers, expected in targets:
        run_conditional_load(HOST, port, path, warmup, threads, headers, expected)
    results = {name: LoadResult() for name, *_rest in targets}
    for round_index in range(rounds):
        ordered = targets[round_index % 2 :] + targets[: round_index % 2]
        for name, path, headers, expected in ordered:
            results[name].add(
                run_conditional_load(HOST, port, path, seconds / rounds, threads, headers, expected)
            )
    return results


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW TARGET"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, exit_on_signal)
    logging.basicConfig(level=logging.WARNING)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or f"sqlite:///{DATA_DIR / f'ical-{args.events}.sqlite'}"
    backend = sa.make_url(database_url).get_backend_name()
    environment = server_environment(database_url, DATA_DIR / f"instance-ical-{backend}")

    print("eventsapp iCal benchmark")
    app = make_app(environment)
    prepare_database(app, database_url, args.events, args.keep)
    rows = load_feed_rows(app)
    print(f"feed       : GET {FEED_PATH}: {len(rows)} events")
    library_times, library_size = time_library(rows, args.first_requests)

    port = free_port()
    log_path = DATA_DIR / "gunicorn-ical.log"
    process = start_server(environment, args.workers, port, log_path, app_module="bench.ical_app:app")
    try:
        wait_until_ready(process, port, log_path, path=BARE_PATH)
        print(
            f"server     : gunicorn, {args.workers} sync workers, {HOST}:{port}, pid {process.pid}, "
            f"{describe_url(database_url)}"
        )
        print(f"cache      : {app.config.get('CACHE_TYPE')}")
        load = os.getloadavg()[0]
        print(
            f"machine    : {os.cpu_count()} CPUs, load average {load:.2f}, Python {platform.python_version()}"
        )
        for _ in range(args.workers * 2):
            timed_get(HOST, port, WARM_PATH)
        first_times, cached_time, etag = time_first_requests(app, port, args.first_requests, len(rows))
        results = measure_304(port, etag, args.seconds, args.rounds, args.warmup, args.threads)
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited during the run:\n{log_tail(log_path)}")
    except (BadResponse, RuntimeError, OSError) as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
        print(f"server log ({log_path}):\n{log_tail(log_path)}", file=sys.stderr)
        return 1
    finally:
        stop_server(process)

    print_report(first_times, cached_time, library_times, library_size, len(rows), results)
    return 0


def print_report(
    first_times: list[float],
    cached_time: float,
    library_times: list[float],
    library_size: int,
    events: int,
    results: dict[str, LoadResult],
) -> None:
    first, library = statistics.median(first_times), statistics.median(library_times)
    print()
    print(f"1. first (uncached) request of the {events}-event feed against icalendar alone, in ms")
    print(
        f"   library serialization : median {1000 * library:8.1f}  (runs: {_ms(library_times)}), "
        f"{library_size / 1024:.0f} KiB"
    )
    print(f"   GET {FEED_PATH:<18}: median {1000 * first:8.1f}  (runs: {_ms(first_times)})")
    print(f"   same feed, cached      : {1000 * cached_time:8.1f}")
    ratio_first = first / library
    print(
        f"   ratio first_request / library = {ratio_first:.2f} "
        f"(target <= {TARGET_FIRST_RATIO}) {verdict(ratio_first <= TARGET_FIRST_RATIO)}"
    )
    print()
    print("2. conditional requests answered 304 against a bare endpoint, same gunicorn")
    print(f"   {'target':<10}{'requests':>9}{'req/s':>9}{'rounds min-max':>16}{'mean ms':>9}{'p95 ms':>9}")
    for name, result in results.items():
        spread = f"{min(result.round_rps):.0f}-{max(result.round_rps):.0f}"
        print(
            f"   {name:<10}{result.requests:>9}{result.rps:>9.1f}{spread:>16}"
            f"{result.mean_ms:>9.2f}{result.p95_ms:>9.2f}"
        )
    bare = results["bare"]
    ratio_304 = results["feed-304"].rps / bare.rps if bare.rps else 0.0
    per_round = [a / b for a, b in zip(results["feed-304"].round_rps, bare.round_rps, strict=True) if b]
    print(
        f"   ratio rps_304 / rps_bare = {ratio_304:.2f} (rounds {min(per_round):.2f}-{max(per_round):.2f}) "
        f"(target >= {TARGET_304_RATIO}) {verdict(ratio_304 >= TARGET_304_RATIO)}"
    )


def _ms(values: list[float]) -> str:
    return " ".join(f"{1000 * value:.0f}" for value in values)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted (gunicorn stopped)", file=sys.stderr)
        sys.exit(130)
