"""Benchmark of sign-ups against bare endpoints, on PostgreSQL, served by gunicorn.

One run, one gunicorn (``2 × cores + 1`` sync workers by default) serving
``bench.registration_app:build_app()`` (the real app, CSRF and rate limits
off, plus bare routes), and two measurements:

1. **uncontended**: ``--clients`` threads POST sign-ups back to back to
   ``/events/<slug>/register``, spread over 500 events of large capacity, each
   with a new e-mail; against ``POST /_bench/insert`` (one INSERT, committed).
   Interleaved rounds; prints req/s, p50/p99 and the ratio (target >= 0.6).
   A third target, ``POST /_bench/floor/<slug>`` (``registration_app.py``),
   is the floor of a sign-up: only what the house rules make every sign-up
   do (the form validated, the event locked, seats counted, two INSERTs,
   the commit, the task published), without the ORM; its ratio to the bare
   insert is printed as a reference: how far the real sign-up could go.
2. **rush**: ``--rush-clients`` threads (one connection each) released
   together by a barrier, each POSTing one sign-up to a Journée de l'ESS of
   ``--rush-seats`` seats with the waiting list on; against the same burst
   on ``POST /_bench/hot-update`` (one conditional UPDATE of a hot row).
   Repeated ``--rush-repeats`` times (reset in between); prints the median
   rates, p50/p99, the ratio (target >= 0.5), and checks in the database that
   exactly ``seats`` are confirmed, the rest waitlisted (positions 1..n), and
   the counter stopped at ``seats``; exits with 1 if not. The floor
   endpoint gets the same bursts and the same checks; the order of the
   three targets rotates from one repeat to the next.

Celery's broker is the embedded filesystem one under ``bench/.data`` (no
worker: messages just queue), so a sign-up pays for writing its outbox row
and, after the commit, publishing its task (e-mail rows are not claimed).
With ``--redis-url`` (or ``BENCH_REDIS_URL``) the broker and the page cache
are in that Redis database instead, as in production.

    .venv/bin/python bench/registration.py
    .venv/bin/python bench/registration.py --redis-url redis://127.0.0.1:6379/12
    .venv/bin/python bench/registration.py --show-queries   # the SQL of one sign-up, then exit

A benchmark, not a test: it exits with 0 whether the ratios are met or not,
and with 1 when the server fails, answers unexpectedly, or a count is wrong.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import signal
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402

from bench.agenda import (  # noqa: E402
    HOST,
    describe_url,
    exit_on_signal,
    free_port,
    log_tail,
    start_server,
    stop_server,
    wait_until_ready,
)
from bench.loadgen import BadResponse, LoadResult, percentile  # noqa: E402
from bench.registration_app import (  # noqa: E402
    HOT_UPDATE_PATH,
    INSERT_PATH,
    READY_PATH,
    build_app,
)
from bench.registration_data import (  # noqa: E402
    RUSH_SLUG,
    SPREAD_EVENTS,
    build_database,
    counter_taken,
    has_data_set,
    reset_rush,
    reset_state,
    rush_counts,
    signup_count,
    spread_slugs,
)
from bench.registration_load import (  # noqa: E402
    Expectation,
    RequestMaker,
    RushResult,
    bare_request,
    expect_ok,
    expect_signup,
    floor_request,
    run_post_load,
    run_rush,
    signup_request,
)
from bench.registration_sql import profile_post  # noqa: E402
from eventsapp.config import MAIL_QUEUE  # noqa: E402
from eventsapp.extensions import db  # noqa: E402

DATA_DIR = REPO_ROOT / "bench" / ".data"
INSTANCE_DIR = DATA_DIR / "instance-registration"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/eventsapp_bench_registration"
APP_MODULE = "bench.registration_app:build_app()"
UNCONTENDED_TARGET = 0.6
RUSH_TARGET = 0.5
ROUNDS = 3
WARMUP_SECONDS = 1.0


class CheckFailed(RuntimeError):
    """The database does not hold what the rush must leave."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description="Sign-ups per second against bare endpoints, on PostgreSQL.")
    parser.add_argument(
        "--seconds", type=float, default=9.0, help="uncontended: measured seconds per target (default 9)"
    )
    parser.add_argument("--clients", type=int, default=8, help="uncontended: client threads (default 8)")
    parser.add_argument(
        "--rush-clients", type=int, default=300, help="rush: simultaneous clients (default 300)"
    )
    parser.add_argument("--rush-seats", type=int, default=245, help="rush: seats of the event (default 245)")
    parser.add_argument("--rush-repeats", type=int, default=3, help="rush: bursts per target (default 3)")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * cores + 1,
        help=f"gunicorn sync workers (default 2 x cores + 1 = {2 * cores + 1})",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="PostgreSQL database to build and serve (default: $BENCH_DATABASE_URL, else %(default)s)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL") or None,
        help=(
            "serve with Celery's broker and the page cache on this Redis database, as in production "
            "(flushed at the start; e.g. redis://127.0.0.1:6379/12); default: $BENCH_REDIS_URL, else the "
            "embedded setup's filesystem broker and file cache"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="reuse the events if the database holds them")
    parser.add_argument(
        "--show-queries",
        action="store_true",
        help="print the SQL of one sign-up and one bare insert, then exit",
    )
    args = parser.parse_args(argv)
    if (
        min(args.seconds, args.clients, args.rush_clients, args.rush_seats, args.rush_repeats, args.workers)
        <= 0
    ):
        parser.error("every number must be positive")
    if sa.make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("this benchmark runs against PostgreSQL only")
    return args


def server_environment(database_url: str, redis_url: str | None = None) -> dict[str, str]:
    """The app's environment, in this process and in gunicorn: without
    ``redis_url`` the Celery broker and the page cache live in files under
    bench/.data (the embedded setup); with it, in that Redis database."""
    return {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(INSTANCE_DIR),
        "SECRET_KEY": "bench-registration-not-a-secret",
        "REDIS_URL": redis_url or "",
        "MAIL_BACKEND": "file",
        "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH")))),
    }


def prepare(app: Flask, args: argparse.Namespace) -> None:
    """Build (or keep) the database, then reset what the runs change."""
    if args.keep and has_data_set(app):
        print(f"database   : kept {describe_url(args.database_url)}")
    else:
        build_database(app, args.database_url, args.rush_seats)
        print(f"database   : built {describe_url(args.database_url)}")
    reset_state(app, args.rush_seats)
    print(
        f"             {SPREAD_EVENTS} open events of large capacity, and '{RUSH_SLUG}' "
        f"({args.rush_seats} seats, waiting list on); registrations and outbox emptied"
    )


def show_sql(app: Flask, verbose: bool) -> None:
    """One sign-up and one bare insert in-process: how many statements each sends."""
    slug = spread_slugs()[-1]
    for name, make_request in (
        ("sign-up", signup_request([slug])),
        ("bare insert", bare_request(INSERT_PATH)),
    ):
        profile = profile_post(app, make_request)
        print(f"sql        : {name} -> {profile.status}: {profile.summary()}")
        print(f"             {profile.verbs()}")
        if verbose:
            print(f"\n{profile.listing()}\n")


def measure_uncontended(port: int, args: argparse.Namespace) -> dict[str, LoadResult]:
    """Warm-up, then interleaved rounds (the order rotates) of sign-ups, bare
    inserts and floor sign-ups."""
    targets: list[tuple[str, RequestMaker, Expectation]] = [
        ("sign-up", signup_request(spread_slugs()), expect_signup),
        ("bare-insert", bare_request(INSERT_PATH), expect_ok),
        ("floor", floor_request(spread_slugs()), expect_signup),
    ]
    for _name, make_request, expect in targets:
        run_post_load(HOST, port, make_request, expect, WARMUP_SECONDS, args.clients)
    results = {name: LoadResult() for name, _make, _expect in targets}
    for round_index in range(ROUNDS):
        shift = round_index % len(targets)
        for name, make_request, expect in targets[shift:] + targets[:shift]:
            load = run_post_load(HOST, port, make_request, expect, args.seconds / ROUNDS, args.clients)
            results[name].add(load)
    return results


def queued_messages(redis_url: str | None) -> int:
    """Celery messages waiting in the broker (no worker takes them): the
    ``mail`` queue's list in Redis, or the filesystem broker's files."""
    if redis_url:
        return int(redis.Redis.from_url(redis_url).llen(MAIL_QUEUE))
    queue = INSTANCE_DIR / "celery" / "queue"
    return sum(1 for _path in queue.iterdir()) if queue.is_dir() else 0


def check_rush(app: Flask, clients: int, seats: int, published: int) -> str:
    """The rush event must hold ``seats`` confirmed and the rest waitlisted;
    ``published``: Celery messages the burst queued (one e-mail each)."""
    counts = rush_counts(app)
    waitlisted = max(clients - seats, 0)
    confirmed = min(clients, seats)
    problems = []
    if counts.confirmed_seats != confirmed or counts.confirmed != confirmed:
        problems.append(f"{counts.confirmed_seats} seats confirmed, expected {confirmed}")
    if counts.waitlisted != waitlisted:
        problems.append(f"{counts.waitlisted} waitlisted, expected {waitlisted}")
    if counts.other:
        problems.append(f"{counts.other} registrations neither confirmed nor waitlisted")
    if counts.waitlist_positions != list(range(1, waitlisted + 1)):
        problems.append(f"waiting-list positions are not 1..{waitlisted}")
    if counts.outbox_rows != clients:
        problems.append(f"{counts.outbox_rows} outbox e-mails, expected {clients}")
    if problems:
        raise CheckFailed(f"rush: {'; '.join(problems)} ({counts.describe()})")
    line = f"{confirmed} confirmed, {waitlisted} waitlisted OK"
    if published != clients:
        line += f" (only {published}/{clients} e-mails handed to Celery)"
    return line


def rush_signups(
    app: Flask, port: int, args: argparse.Namespace, make_request: RequestMaker
) -> tuple[RushResult, str]:
    """One burst of sign-ups (real or floor) on the emptied rush event, and its check."""
    reset_rush(app)
    queued_before = queued_messages(args.redis_url)
    burst = run_rush(HOST, port, make_request, expect_signup, args.rush_clients)
    published = queued_messages(args.redis_url) - queued_before
    return burst, check_rush(app, args.rush_clients, args.rush_seats, published)


def run_rushes(app: Flask, port: int, args: argparse.Namespace) -> dict[str, list[RushResult]]:
    """``--rush-repeats`` bursts of sign-ups, of hot-row updates and of floor
    sign-ups, each checked."""
    results: dict[str, list[RushResult]] = {"sign-up": [], "hot-update": [], "floor": []}
    print(
        f"\n{'repeat':<8}{'target':<12}{'requests':>9}{'wall s':>8}{'req/s':>9}"
        f"{'p50 ms':>9}{'p99 ms':>9}  check"
    )

    def hot_updates() -> tuple[RushResult, str]:
        reset_rush(app)  # the counter at zero
        burst = run_rush(HOST, port, bare_request(HOT_UPDATE_PATH), expect_ok, args.rush_clients)
        taken = counter_taken(app)
        expected = min(args.rush_clients, args.rush_seats)
        if taken != expected:
            raise CheckFailed(f"rush: the counter is at {taken}, expected {expected}")
        return burst, f"counter {taken} OK"

    targets: list[tuple[str, Callable[[], tuple[RushResult, str]]]] = [
        ("sign-up", lambda: rush_signups(app, port, args, signup_request([RUSH_SLUG]))),
        ("hot-update", hot_updates),
        ("floor", lambda: rush_signups(app, port, args, floor_request([RUSH_SLUG]))),
    ]
    for repeat in range(1, args.rush_repeats + 1):
        # The order rotates, as in the uncontended rounds.
        shift = (repeat - 1) % len(targets)
        for name, burst_of in targets[shift:] + targets[:shift]:
            burst, check = burst_of()
            results[name].append(burst)
            print_burst(repeat, name, burst, check)
    return results


def print_burst(repeat: int | str, name: str, burst: RushResult, check: str) -> None:
    print(
        f"{repeat!s:<8}{name:<12}{len(burst.latencies):>9}{burst.wall:>8.2f}{burst.rate:>9.1f}"
        f"{burst.p50_ms:>9.1f}{burst.p99_ms:>9.1f}  {check}"
    )


def print_uncontended(results: dict[str, LoadResult], clients: int) -> None:
    print(
        f"\n{'target':<13}{'requests':>9}{'req/s':>9}{'rounds min-max':>16}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'client CPU':>12}"
    )
    for name, result in results.items():
        spread = f"{min(result.round_rps):.0f}-{max(result.round_rps):.0f}"
        print(
            f"{name:<13}{result.requests:>9}{result.rps:>9.1f}{spread:>16}"
            f"{1000 * percentile(result.latencies, 50):>9.2f}{1000 * percentile(result.latencies, 99):>9.2f}"
            f"{result.client_cpu_share:>11.0%}"
        )
    signup, bare = results["sign-up"], results["bare-insert"]
    ratio = signup.rps / bare.rps if bare.rps else 0.0
    per_round = [a / b for a, b in zip(signup.round_rps, bare.round_rps, strict=True) if b]
    verdict = "PASS" if ratio >= UNCONTENDED_TARGET else "BELOW"
    print(
        f"ratio sign-up / bare-insert: {ratio:.2f} (rounds {min(per_round):.2f}-{max(per_round):.2f}) "
        f"{verdict} (target >= {UNCONTENDED_TARGET}; {clients} clients)"
    )
    floor = results["floor"]
    print(
        f"ratio floor / bare-insert: {floor.rps / bare.rps if bare.rps else 0.0:.2f} "
        "(reference: the same steps done leanly, an upper bound for the sign-up)"
    )


def print_rush_summary(results: dict[str, list[RushResult]]) -> None:
    """Median rate and wall time of the repeats, p50/p99 over all of them, and the ratio."""
    medians = {}
    for name, bursts in results.items():
        medians[name] = statistics.median(burst.rate for burst in bursts)
        latencies = [latency for burst in bursts for latency in burst.latencies]
        print(
            f"{'median':<8}{name:<12}{len(latencies) // len(bursts):>9}"
            f"{statistics.median(burst.wall for burst in bursts):>8.2f}{medians[name]:>9.1f}"
            f"{1000 * percentile(latencies, 50):>9.1f}{1000 * percentile(latencies, 99):>9.1f}"
            "  (p50/p99: all repeats pooled)"
        )
    ratio = medians["sign-up"] / medians["hot-update"] if medians["hot-update"] else 0.0
    verdict = "PASS" if ratio >= RUSH_TARGET else "BELOW"
    print(f"ratio sign-up / hot-update (median rates): {ratio:.2f} {verdict} (target >= {RUSH_TARGET})")
    floor = medians["floor"] / medians["hot-update"] if medians["hot-update"] else 0.0
    print(f"ratio floor / hot-update (median rates): {floor:.2f} (reference, as above)")


def print_header(args: argparse.Namespace, port: int, pid: int, load: float) -> None:
    """Server, machine (``load``: the load average when the script started) and notes."""
    cores = os.cpu_count() or 1
    print(f"server     : gunicorn, {args.workers} sync workers, {HOST}:{port}, pid {pid}, PostgreSQL")
    print(
        f"machine    : {cores} cores, load average {load:.2f} when the script started, "
        f"Python {platform.python_version()}"
    )
    print("note       : the client and the server share this machine's cores: absolute req/s are pessimistic")
    if load > 0.5 * cores:
        print("             WARNING: the machine is busy; numbers will be noisy")
    broker = (
        f"Redis {describe_url(args.redis_url)} (broker and page cache)"
        if args.redis_url
        else "filesystem broker and file page cache under bench/.data"
    )
    print(
        f"celery     : {broker}, no worker (messages just queue):\n"
        "             a sign-up's cost includes writing its outbox row, then, after the commit,\n"
        "             publishing its task"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_at_start = os.getloadavg()[0]  # before this script's own work adds to it
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, exit_on_signal)
    logging.basicConfig(level=logging.WARNING)  # keeps Alembic's INFO lines out of the report
    # "No hostname was supplied" for the filesystem broker's URL: expected.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    environment = server_environment(args.database_url, args.redis_url)
    if args.redis_url:
        redis.Redis.from_url(args.redis_url).flushdb()  # this benchmark's database only
    os.environ.update(environment)  # read by Config() here, and passed on to gunicorn
    print("eventsapp registration benchmark")
    # Queued Celery messages and cached pages of earlier runs (before the app
    # is built: it creates the broker's folders).
    shutil.rmtree(INSTANCE_DIR / "celery", ignore_errors=True)
    shutil.rmtree(INSTANCE_DIR / "cache", ignore_errors=True)
    app = build_app()
    prepare(app, args)
    show_sql(app, verbose=args.show_queries)
    if args.show_queries:
        return 0
    with app.app_context():
        db.engine.dispose()  # gunicorn's workers open their own connections

    port = free_port()
    log_path = DATA_DIR / "gunicorn-registration.log"
    process = start_server(environment, args.workers, port, log_path, app_module=APP_MODULE)
    try:
        wait_until_ready(process, port, log_path, path=READY_PATH)
        print_header(args, port, process.pid, load_at_start)
        print(
            f"\nuncontended: {args.clients} clients, sign-ups spread over {SPREAD_EVENTS} events, "
            f"warm-up {WARMUP_SECONDS:g} s, then {ROUNDS} interleaved rounds, {args.seconds:g} s per target"
        )
        before = signup_count(app)
        uncontended = measure_uncontended(port, args)
        print_uncontended(uncontended, args.clients)
        print(f"             ({signup_count(app) - before} registrations stored meanwhile, warm-up included)")
        print(
            f"\nrush       : {args.rush_clients} clients released together, '{RUSH_SLUG}' of "
            f"{args.rush_seats} seats with a waiting list, against {HOT_UPDATE_PATH}; "
            f"{args.rush_repeats} repeats"
        )
        rushes = run_rushes(app, port, args)
        print_rush_summary(rushes)
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited during the run:\n{log_tail(log_path)}")
    except (BadResponse, CheckFailed, RuntimeError, OSError) as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
        print(f"server log ({log_path}):\n{log_tail(log_path)}", file=sys.stderr)
        return 1
    finally:
        stop_server(process)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted (gunicorn stopped)", file=sys.stderr)
        sys.exit(130)
