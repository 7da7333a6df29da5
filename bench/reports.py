"""The reports benchmark: a campaign's dashboard on a Mois de l'ESS of
10,000 events and 1,000,000 registrations (PostgreSQL), timed against one
hand-written SQL ``GROUP BY`` computing the same by-département totals, in
the same run. Target: dashboard / baseline ≤ 1.5. It prints the query plans
(``EXPLAIN (ANALYZE, BUFFERS)``) of every statement of both.

    make bench-reports
    .venv/bin/python bench/reports.py --keep          # reuse the database when it is complete
    .venv/bin/python bench/reports.py --events 2000 --registrations 200000

Its own database (``eventsapp_bench_reports`` by default, or
``BENCH_REPORTS_DATABASE_URL``), never the tests' ones: its schema is dropped
and rebuilt by the app's migrations, then filled by ``INSERT … SELECT`` from
``generate_series`` (one statement per table, about a minute in all).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.agenda_data import reset_database  # noqa: E402
from bench.reports_sql import BASELINE_SQL, BUILD_STATEMENTS  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/eventsapp_bench_reports"
INSTANCE_DIR = REPO_ROOT / "bench" / ".data" / "instance-reports"
TARGET = 1.5
CAMPAIGN_SLUG = "mois-ess-bench-2025"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The campaign dashboard's queries against a hand-written GROUP BY."
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_REPORTS_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each side (the median is kept)")
    parser.add_argument("--keep", action="store_true", help="reuse the database if it has the same size")
    parser.add_argument("--no-plans", action="store_true", help="do not print the EXPLAIN ANALYZE plans")
    return parser.parse_args(argv)


def make_app(url: str):  # noqa: ANN201 - a Flask app
    os.environ.update(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(INSTANCE_DIR),
            "SECRET_KEY": "bench-reports-not-a-secret",
            "REDIS_URL": "",
            "CACHE_TYPE": "NullCache",
        }
    )
    from eventsapp import create_app

    return create_app()


def database_size(engine: sa.Engine) -> tuple[int, int] | None:
    """(events, registrations) in the benchmark database, or None when the
    database or its tables do not exist yet."""
    try:
        with engine.connect() as connection:
            events = connection.scalar(sa.text("SELECT count(*) FROM events"))
            registrations = connection.scalar(sa.text("SELECT count(*) FROM registrations"))
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        return None
    return int(events or 0), int(registrations or 0)


def build(app, url: str, events: int, registrations: int, keep: bool) -> None:  # noqa: ANN001
    from flask_migrate import upgrade

    from eventsapp.extensions import db

    with app.app_context():
        if keep:
            size = database_size(db.engine)
            if size == (events, registrations):
                print(f"database   : kept ({events:,} events, {registrations:,} registrations)")
                return
        db.engine.dispose()
        started = time.perf_counter()
        reset_database(url)
        upgrade()
        parameters = {"events": events, "registrations": registrations, "slug": CAMPAIGN_SLUG}
        with db.engine.begin() as connection:
            for label, statement in BUILD_STATEMENTS:
                step = time.perf_counter()
                count = connection.execute(sa.text(statement), parameters).rowcount
                print(f"  {label:<14} {count:>10,} rows  {time.perf_counter() - step:6.1f} s")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
        print(f"database   : built in {time.perf_counter() - started:.1f} s")


def timed_together(
    first: Callable[[], object], second: Callable[[], object], repeat: int
) -> tuple[tuple[float, list[float], object], tuple[float, list[float], object]]:
    """Median of ``repeat`` runs of each, after a warm-up of each (caches,
    plans), the two interleaved and the order alternating: a machine that
    slows down or speeds up during the run weighs on both alike."""
    results = [first(), second()]
    times: list[list[float]] = [[], []]
    functions = (first, second)
    for round_number in range(repeat):
        order = (0, 1) if round_number % 2 == 0 else (1, 0)
        for index in order:
            started = time.perf_counter()
            results[index] = functions[index]()
            times[index].append(time.perf_counter() - started)
    return (
        (statistics.median(times[0]), times[0], results[0]),
        (statistics.median(times[1]), times[1], results[1]),
    )


def explain(connection: sa.Connection, statement: str, parameters: object) -> str:
    cursor = connection.connection.driver_connection.cursor()
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
    return "\n".join(row[0] for row in cursor.fetchall())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    if sa.make_url(args.database_url).get_backend_name() != "postgresql":
        raise SystemExit("bench-reports needs PostgreSQL")
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    print("eventsapp reports benchmark")
    app = make_app(args.database_url)
    build(app, args.database_url, args.events, args.registrations, args.keep)

    from eventsapp.catalog.models import Campaign
    from eventsapp.extensions import db
    from eventsapp.reports.scope import ReportScope
    from eventsapp.reports.service import campaign_dashboard
    from eventsapp.reports.tables import dashboard_tables

    with app.test_request_context("/"), app.app_context():
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == CAMPAIGN_SLUG))
        scope = ReportScope(zone=app.config.get("TIMEZONE", "Europe/Paris"))

        def dashboard():  # noqa: ANN202
            result = campaign_dashboard(campaign, scope)
            db.session.rollback()
            return result

        def baseline():  # noqa: ANN202
            rows = db.session.execute(sa.text(BASELINE_SQL), {"campaign_id": campaign.id}).all()
            db.session.rollback()
            return rows

        statements: list[tuple[str, object]] = []

        def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
            statements.append((statement, parameters))

        (dashboard_time, dashboard_times, result), (baseline_time, baseline_times, rows) = timed_together(
            dashboard, baseline, args.repeat
        )
        started = time.perf_counter()
        dashboard_tables(result.report, result.editions)
        tables_time = time.perf_counter() - started

        # The baseline must compute what the dashboard shows.
        by_department = {group.key: group.figures for group in result.report.by_department}
        mismatches = [
            row.department
            for row in rows
            if (row.events, row.registered, row.confirmed, row.checked_in, row.walk_ins, row.no_shows)
            != tuple(
                getattr(by_department[row.department], name)
                for name in ("events", "registered", "confirmed", "checked_in", "walk_ins", "no_shows")
            )
        ]
        totals = result.report.totals
        print(
            f"campaign   : {totals.events:,} events counted "
            f"({result.report.cancelled.events} cancelled apart), "
            f"{totals.registered:,} seats registered, {totals.attendance:,} came, "
            f"{len(result.report.by_department)} départements, {len(result.report.curve)} days of sign-ups"
        )
        print(f"check      : baseline and dashboard agree on {len(rows)} départements" if not mismatches
              else f"check      : MISMATCH for {mismatches}")  # fmt: skip
        ratio = dashboard_time / baseline_time
        print(
            f"baseline   : {baseline_time * 1000:8.1f} ms  "
            f"(one GROUP BY department; runs {_ms(baseline_times)})"
        )
        print(
            f"dashboard  : {dashboard_time * 1000:8.1f} ms  "
            f"(report + year on year; runs {_ms(dashboard_times)})"
        )
        print(
            f"tables     : {tables_time * 1000:8.1f} ms  (the page's tables from the report, for information)"
        )
        verdict = "PASS" if ratio <= TARGET else "above target"
        print(f"ratio      : {ratio:.2f}  (target ≤ {TARGET}: {verdict})")

        if not args.no_plans:
            sa.event.listen(db.engine, "before_cursor_execute", record)
            dashboard()
            sa.event.remove(db.engine, "before_cursor_execute", record)
            connection = db.session.connection()
            print("\n=== Baseline plan ===")
            print(
                explain(
                    connection,
                    BASELINE_SQL.replace(":campaign_id", "%(campaign_id)s"),
                    {"campaign_id": campaign.id},
                )
            )
            for index, (statement, parameters) in enumerate(statements, start=1):
                print(f"\n=== Dashboard statement {index} ===\n{statement}")
                if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                    connection.exec_driver_sql(statement)  # SET LOCAL: applies to the plans below
                    continue
                print("--- plan ---")
                print(explain(connection, statement, parameters))
            db.session.rollback()
        db.engine.dispose()
    return 0 if not mismatches else 1


def _ms(times: list[float]) -> str:
    return ", ".join(f"{value * 1000:.0f}" for value in times)


if __name__ == "__main__":
    sys.exit(main())
