"""Benchmark of reminders end to end against a plain smtplib loop.

One run, two measurements sending the same 10,000 messages to the same SMTP
sink (aiosmtpd in a process of its own, ``bench/reminders_sink.py``):

1. **pipeline**: ``--reminders`` confirmed registrations spread over 20
   events whose reminder rule (2 hours before the start) is due. The clock
   starts when ``reminders.scan_due`` (what beat sends every minute) is
   published; it stops when every outbox row is marked sent. In between:
   the scan writes the outbox rows in committed batches, each commit
   publishes them in chunks of ``MAIL_BATCH_SIZE`` to ``send_email_batch``
   on Redis, real Celery worker processes (``--concurrency``, prefork) compose
   each e-mail and send each chunk on one SMTP connection, committing each
   outcome;
2. **baseline**: the very messages the sink received in (1), sent again by
   ``smtplib.SMTP.sendmail`` in a loop on one connection, in this process.

Prints both rates, the ratio (target >= 0.5) and the worker processes' peak
memory (VmHWM from /proc). PostgreSQL (``BENCH_DATABASE_URL``, default
``eventsapp_bench_reminders``, rebuilt each run) and Redis database 13 of
the local server (``BENCH_REDIS_URL``; only that database is flushed).

    .venv/bin/python bench/reminders.py [--reminders 10000] [--concurrency N]

A benchmark, not a test: exits 0 whether the ratio is met or not, 1 when
something fails (a message missing, the worker dying, a deadline passed).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import signal
import smtplib
import struct
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.agenda import describe_url, free_port  # noqa: E402
from bench.agenda_data import reset_database  # noqa: E402
from bench.procstats import CPU_GROUPS, cpu_seconds, peak_memory_mib, process_tree  # noqa: E402
from eventsapp import create_app  # noqa: E402
from eventsapp.catalog.models import Event  # noqa: E402
from eventsapp.catalog.vocabulary import EventKind, EventStatus  # noqa: E402
from eventsapp.config import DEFAULT_QUEUE, MAIL_QUEUE, Config  # noqa: E402
from eventsapp.extensions import db  # noqa: E402
from eventsapp.notifications.models import OutboxMessage, OutboxStatus  # noqa: E402
from eventsapp.organisations.models import Organisation, OrganisationKind  # noqa: E402
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus  # noqa: E402
from eventsapp.reminders.service import add_reminder_rule  # noqa: E402

DATA_DIR = REPO_ROOT / "bench" / ".data"
WORK_DIR = DATA_DIR / "reminders"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/eventsapp_bench_reminders"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
EVENTS = 20
TARGET = 0.5
DEADLINE_SECONDS = 600.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Reminders end to end against a plain smtplib loop.")
    parser.add_argument("--reminders", type=int, default=10_000, help="due reminders (default 10000)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=os.cpu_count() or 1,
        help="worker pool processes (default: the number of cores)",
    )
    parser.add_argument("--batch-size", type=int, default=50, help="MAIL_BATCH_SIZE (default 50)")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL)
    args = parser.parse_args(argv)
    if min(args.reminders, args.concurrency, args.batch_size) <= 0:
        parser.error("every number must be positive")
    return args


def environment(args: argparse.Namespace, smtp_port: int) -> dict[str, str]:
    """The app's settings, for this process and the worker."""
    return {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "INSTANCE_PATH": str(WORK_DIR / "instance"),
        "SECRET_KEY": "bench-reminders-not-a-secret",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_BATCH_SIZE": str(args.batch_size),
        # The page cache must not write into the shared Redis.
        "CACHE_TYPE": "NullCache",
        "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH")))),
    }


def build_data(app: Flask, url: str, reminders: int) -> None:
    """``reminders`` confirmed people over ``EVENTS`` events starting in an
    hour, each event with one rule "2 hours before", due an hour ago."""
    reset_database(url)
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        upgrade()
        session = db.session
        organisation = Organisation(
            name="CRESS des Pays de la Loire", slug="cress-pdl", kind=OrganisationKind.RESEAU
        )
        session.add(organisation)
        session.flush()
        for index in range(EVENTS):
            starts_at = now + timedelta(hours=1, minutes=index)
            event = Event(
                organisation_id=organisation.id,
                title=f"Ciné-débat de l'ESS n° {index + 1}",
                slug=f"cine-debat-bench-{index + 1}",
                summary="Projection suivie d'un échange.",
                description="Un moment d'échange ouvert à toutes et tous.",
                kind=EventKind.CINE_DEBAT,
                status=EventStatus.PUBLISHED,
                venue_name="Cinéma Le Vox",
                venue_address="12 rue de la Paix",
                venue_postcode="53000",
                commune="Laval",
                department="53",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                timezone="Europe/Paris",
                capacity=reminders,
                registration_required=True,
                contact_name="Camille Martin",
                contact_email="camille@exemple.org",
                published_at=now - timedelta(days=20),
            )
            session.add(event)
            session.flush()
            share = range(index, reminders, EVENTS)
            session.execute(
                sa.insert(Registration),
                [
                    {
                        "event_id": event.id,
                        "first_name": "Dominique",
                        "last_name": f"Lefèvre {number}",
                        "email": f"personne{number}@exemple.fr",
                        "category": ParticipantCategory.GRAND_PUBLIC,
                        "seats": 1,
                        "status": RegistrationStatus.CONFIRMED,
                        "token_hash": f"{number:064x}",
                        "token_salt": f"{number:032x}",
                        "consent_at": now - timedelta(days=2),
                        "created_at": now - timedelta(days=2),
                        "confirmed_at": now - timedelta(days=2),
                    }
                    for number in share
                ],
            )
            add_reminder_rule(event, hours=2)
        session.commit()
        session.execute(sa.text("ANALYZE"))
        session.commit()
        db.session.remove()
        db.engine.dispose()


def sent_count(app: Flask) -> int:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
        ).scalar_one()


def sink_count(directory: Path) -> tuple[int, int]:
    try:
        raw, distinct = (directory / "count").read_text().split()
    except (FileNotFoundError, ValueError):
        return 0, 0
    return int(raw), int(distinct)


def wait_for(path: Path, process: subprocess.Popen, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready")
        time.sleep(0.05)


def start_worker(env: dict[str, str], concurrency: int, log_path: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "celery_worker:celery", "worker",
        "--pool=prefork", f"--concurrency={concurrency}", f"--queues={MAIL_QUEUE},{DEFAULT_QUEUE}",
        "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process


def worker_ready(process: subprocess.Popen, concurrency: int) -> None:
    """The pool is up when the main process has ``concurrency`` children."""
    deadline = time.monotonic() + 60
    while len(process_tree(process.pid)) < concurrency + 1:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the Celery worker did not start")
        time.sleep(0.1)
    time.sleep(1.0)  # connected to Redis, consuming


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def run_pipeline(app: Flask, args: argparse.Namespace, sink_dir: Path, worker: subprocess.Popen) -> float:
    """Publish the scan, wait until every reminder is sent; the elapsed seconds."""
    celery = app.extensions["celery"]
    started = time.perf_counter()
    celery.send_task("reminders.scan_due")
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        done = sent_count(app)
        if done >= args.reminders:
            break
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {args.reminders} reminders sent")
        time.sleep(0.05)
    return time.perf_counter() - started


def load_messages(path: Path) -> list[tuple[str, str, bytes]]:
    messages, data, offset = [], path.read_bytes(), 0
    while offset < len(data):
        head_length, length = struct.unpack_from(">II", data, offset)
        offset += 8
        sender, recipient, _ = data[offset : offset + head_length].decode().split("\n")
        offset += head_length
        messages.append((sender, recipient, data[offset : offset + length]))
        offset += length
    return messages


def run_baseline(messages: list[tuple[str, str, bytes]], port: int) -> float:
    """The same messages, ``smtplib`` on one connection; the elapsed seconds."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for sender, recipient, content in messages:
            smtp.sendmail(sender, [recipient], content)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_at_start = os.getloadavg()[0]
    logging.basicConfig(level=logging.WARNING)
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    sink_dir = WORK_DIR / "sink"
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    redis.Redis.from_url(args.redis_url).flushdb()  # this benchmark's database only
    port = free_port()
    env = environment(args, port)
    os.environ.update(env)
    print("eventsapp reminders benchmark")
    app = create_app(Config())
    build_data(app, args.database_url, args.reminders)
    print(
        f"database   : built {describe_url(args.database_url)}: "
        f"{args.reminders} due reminders, {EVENTS} events"
    )
    sink = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("reminders_sink.py")), str(port), str(sink_dir)]
    )
    worker = None
    try:
        wait_for(sink_dir / "ready", sink, "the SMTP sink")
        worker = start_worker(env, args.concurrency, WORK_DIR / "worker.log")
        worker_ready(worker, args.concurrency)
        cores = os.cpu_count() or 1
        print(
            f"machine    : {cores} cores, load average {load_at_start:.2f} at start, "
            f"Python {platform.python_version()}\n"
            f"worker     : celery prefork, {args.concurrency} processes, "
            f"queues {MAIL_QUEUE},{DEFAULT_QUEUE}, "
            f"Redis {args.redis_url}, batches of {args.batch_size}\n"
            f"sink       : aiosmtpd on 127.0.0.1:{port}, own process (the worker, the sink and this "
            "script share the cores)"
        )
        cpu_before = cpu_seconds(worker.pid, sink.pid)
        pipeline_seconds = run_pipeline(app, args, sink_dir, worker)
        cpu_after = cpu_seconds(worker.pid, sink.pid)
        peaks = peak_memory_mib(worker.pid)
        time.sleep(0.3)  # the sink's count file
        raw, distinct = sink_count(sink_dir)
        if distinct < args.reminders:
            raise RuntimeError(f"the sink has {distinct} distinct messages, expected {args.reminders}")
        sink.send_signal(signal.SIGUSR1)
        wait_for(sink_dir / "dumped", sink, "the sink's copy of the messages", timeout=120)
        messages = load_messages(sink_dir / "messages.bin")
        messages = messages[: args.reminders]
        stop(worker)
        before = sink_count(sink_dir)[0]
        baseline_seconds = run_baseline(messages, port)
        time.sleep(0.3)
        received = sink_count(sink_dir)[0] - before
        if received != len(messages):
            raise RuntimeError(f"baseline: the sink got {received} of {len(messages)}")
    except (RuntimeError, OSError, smtplib.SMTPException) as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
        print((WORK_DIR / "worker.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        return 1
    finally:
        stop(worker)
        sink.terminate()
        sink.wait(10)
    pipeline_rate = args.reminders / pipeline_seconds
    baseline_rate = len(messages) / baseline_seconds
    ratio = pipeline_rate / baseline_rate
    size = sum(len(content) for _s, _r, content in messages) / len(messages)
    print(f"\n{'target':<10}{'messages':>10}{'seconds':>10}{'msg/s':>10}")
    print(f"{'pipeline':<10}{args.reminders:>10}{pipeline_seconds:>10.2f}{pipeline_rate:>10.1f}")
    print(f"{'smtplib':<10}{len(messages):>10}{baseline_seconds:>10.2f}{baseline_rate:>10.1f}")
    verdict = "PASS" if ratio >= TARGET else "BELOW"
    print(f"ratio pipeline / smtplib: {ratio:.2f} {verdict} (target >= {TARGET})")
    print(
        f"messages   : {raw} delivered by the pipeline, {distinct} distinct Message-IDs, "
        f"{size / 1024:.1f} KiB each"
    )
    spent = {group: (cpu_after[group] - cpu_before[group]) * 1000 / args.reminders for group in CPU_GROUPS}
    usable_cores = len(os.sched_getaffinity(0))
    busy = sum(spent.values()) * args.reminders / 1000 / (pipeline_seconds * usable_cores)
    print(
        "cpu        : per reminder in the pipeline (ms): "
        + ", ".join(f"{group} {spent[group]:.2f}" for group in CPU_GROUPS)
        + f"; the cores {busy:.0%} busy with these"
    )
    main_pid = worker.pid if worker else 0
    listed = ", ".join(
        f"{'main' if pid == main_pid else 'child'} {peak:.0f}" for pid, peak in sorted(peaks.items())
    )
    print(f"worker peak memory (VmHWM, MiB): {listed}; largest {max(peaks.values()):.0f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
