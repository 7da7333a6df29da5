"""Fault tests with real parts: PostgreSQL, a redis-server of the test's own
(started on a free port, never the machine's shared one), real Celery worker
processes (prefork, 2 children, consuming ``mail,default``) and a real local
SMTP server (aiosmtpd) that counts what it accepts by Message-ID.

1. the worker is killed (SIGKILL, whole process group) in the middle of 500
   reminders (written by ``reminders.service.scan_due_reminders``), then
   started again: all 500 distinct Message-IDs arrive, none unexpected, and
   the only duplicates are of messages in flight at the kill (accepted by
   the server, not yet committed as sent), at most one per pool process;
2. Redis is stopped while 200 people sign up through the real form: every
   answer is below 500, all 200 are stored, and once Redis is back (and the
   relay runs, clock moved forward) every confirmation arrives once;
3. an SMTP server that refuses 30 % of messages with 451: all arrive, none
   twice; one that answers 550 for one address: that e-mail is failed with
   the reason (counted for the organiser), the others arrive once.

Retries are made short (``MAIL_RETRY_BACKOFF*``) and Redis's visibility
timeout 4 s (``CELERY_VISIBILITY_TIMEOUT``), so that what a killed worker had
taken comes back within seconds; time-dependent steps take an injected
``now`` (the reminder scan, the relay). Waiting for the worker polls the
database with a deadline.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask_migrate import upgrade

from eventsapp import create_app
from eventsapp.config import Config
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.notifications.dispatch import relay_stale_messages
from eventsapp.notifications.models import EmailKind, OutboxMessage, OutboxStatus
from eventsapp.notifications.service import enqueue_email, failed_email_count
from eventsapp.notifications.transport import outbox_message_id
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus
from tests.databases import postgres_url, reset_postgres_schema, unavailable
from tests.factories import EventFactory, RegistrationFactory, in_days
from tests.signup_helpers import form_data
from tests.test_mail_smtp import free_port
from tests.workers import CeleryWorker, preserved_celery_current_app

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

FAULTS_DB = "eventsapp_test_faults" + os.environ.get("PYTEST_XDIST_WORKER", "")
CONCURRENCY = 2
DELIVERY_DEADLINE_SECONDS = 60.0
VISIBILITY_TIMEOUT_SECONDS = 4


class RedisServer:
    """``redis-server`` of this test module, on a port of its own."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server", FileNotFoundError("redis-server is not installed"))
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError("the test's redis-server did not start") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@dataclass
class Sink:
    """An aiosmtpd handler: keeps the Message-ID and recipient of every
    message it accepts; refuses a share of DATA commands with 451 (seeded,
    so a run can be replayed), and recipients listed in ``refused`` with 550."""

    refuse_share: float = 0.0
    refused: set[str] = field(default_factory=set)
    accepted: list[tuple[str, str]] = field(default_factory=list)
    busy_replies: int = 0
    random: random.Random = field(default_factory=lambda: random.Random(4))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, refuse_share: float = 0.0, refused: set[str] | None = None) -> None:
        with self.lock:
            self.refuse_share, self.refused = refuse_share, set(refused or ())
            self.accepted, self.busy_replies = [], 0
            self.random.seed(4)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            return "550 5.1.1 Adresse inconnue"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            if self.refuse_share and self.random.random() < self.refuse_share:
                self.busy_replies += 1
                return "451 4.3.0 Trop de messages, reessayez plus tard"
            parser = BytesParser(policy=policy.default)
            parsed = parser.parsebytes(envelope.original_content, headersonly=True)
            self.accepted.append((str(parsed["Message-ID"]), envelope.rcpt_tos[0]))
        return "250 Message accepted for delivery"

    def message_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(message_id for message_id, _to in self.accepted)


@dataclass
class Stack:
    app: Flask
    redis: RedisServer
    sink: Sink
    environment: dict[str, str]
    workdir: Path
    workers: list[CeleryWorker] = field(default_factory=list)

    @property
    def worker(self) -> CeleryWorker:
        return self.workers[-1]

    def start_worker(self) -> CeleryWorker:
        worker = CeleryWorker(
            self.environment,
            self.workdir,
            pool="prefork",
            concurrency=CONCURRENCY,
            log_name=f"worker-{len(self.workers)}.log",
        )
        self.workers.append(worker)
        worker.start()
        return worker

    def outputs(self) -> str:
        return "\n".join(worker.output()[-4000:] for worker in self.workers)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("faults")
    database_url = postgres_url(FAULTS_DB)
    reset_postgres_schema(database_url)
    server = RedisServer(workdir)
    server.start()
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    environment = {
        "INSTANCE_PATH": str(workdir / "instance"),
        "DATABASE_URL": database_url,
        "REDIS_URL": server.url,
        "SECRET_KEY": "faults-test-not-a-secret",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_RETRY_BACKOFF": "0.05",
        "MAIL_RETRY_BACKOFF_MAX": "0.4",
        "MAIL_MAX_RETRIES": "40",
        "MAIL_BATCH_SIZE": "25",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_SECONDS),
        "RATELIMIT_ENABLED": "false",
    }
    with pytest.MonkeyPatch.context() as patch, preserved_celery_current_app():
        for name, value in environment.items():
            patch.setenv(name, value)
        config = Config()
        # The limiter is one object per process: pointing it at this Redis
        # would leave later tests' apps counting in a server that is gone.
        config.RATELIMIT_STORAGE_URI = "memory://"
        config.WTF_CSRF_ENABLED = False
        app = create_app(config)
        with app.app_context():
            upgrade()
            db.engine.dispose()
        stack = Stack(app, server, sink, environment, workdir)
        try:
            stack.start_worker()
            yield stack
        finally:
            for worker in stack.workers:
                worker.stop()
            smtp.stop()
            server.stop()
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def faults(stack: Stack) -> Iterator[Stack]:
    """The stack with empty tables, an empty broker and a fresh sink, inside
    the app's context; a worker running."""
    stack.sink.reset()
    if stack.redis.process is None or stack.redis.process.poll() is not None:
        stack.redis.start()
    redis.Redis.from_url(stack.redis.url).flushdb()
    if stack.worker.process is None or stack.worker.process.poll() is not None:
        stack.start_worker()
    with preserved_celery_current_app(), stack.app.app_context():
        stack.app.extensions["celery"].set_current()
        try:
            yield stack
        finally:
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())


def outbox() -> list[OutboxMessage]:
    db.session.rollback()  # a new snapshot: what the worker committed
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def expected_ids(rows: list[OutboxMessage]) -> set[str]:
    return {outbox_message_id(row.id, row.idempotency_key) for row in rows}


def wait_until(done: Callable[[], bool], stack: Stack, what: str) -> None:
    deadline = time.monotonic() + DELIVERY_DEADLINE_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {DELIVERY_DEADLINE_SECONDS:.0f} s\n{stack.outputs()}")
        time.sleep(0.1)


def all_settled(count: int) -> Callable[[], bool]:
    def settled() -> bool:
        rows = outbox()
        done = (OutboxStatus.SENT, OutboxStatus.FAILED)
        return len(rows) == count and all(row.status in done for row in rows)

    return settled


def registrations_for_reminders(count: int) -> tuple[int, object]:
    """An event in 3 days with ``count`` confirmed people and a reminder
    rule 2 hours before it; returns (event id, the rule's due time)."""
    from eventsapp.reminders.service import add_reminder_rule

    event = EventFactory(starts_at=in_days(3), capacity=count + 10)
    db.session.execute(
        sa.insert(Registration),
        [
            {
                "event_id": event.id,
                "first_name": "Claude",
                "last_name": f"Rappel{number}",
                "email": f"rappel{number}@exemple.fr",
                "category": ParticipantCategory.GRAND_PUBLIC,
                "seats": 1,
                "status": RegistrationStatus.CONFIRMED,
                "token_hash": f"{number:064x}",
                "consent_at": now_utc(),
            }
            for number in range(count)
        ],
    )
    rule = add_reminder_rule(event, hours=2)
    db.session.commit()
    return event.id, rule.due_at


def scan_reminders(now) -> int:  # noqa: ANN001
    """What the beat task does, with an injected clock: scan, commit (the
    e-mails leave at each commit), again while there is more."""
    from eventsapp.reminders.scan import scan_due_reminders

    queued = 0
    while True:
        result = scan_due_reminders(now)
        db.session.commit()
        queued += result.queued
        if not result.more:
            return queued


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_only_what_was_in_flight(faults: Stack):
    _event_id, due_at = registrations_for_reminders(500)
    assert scan_reminders(due_at + timedelta(minutes=1)) == 500  # published in batches of 25

    # Kill the whole worker (main process and pool children) mid-way.
    wait_until(lambda: len(faults.sink.accepted) >= 120, faults, "120 reminders before the kill")
    faults.worker.kill()
    arrived_before = faults.sink.message_ids()
    rows = outbox()
    assert len(rows) == 500 and {row.email_kind for row in rows} == {EmailKind.REMINDER}
    committed_sent = expected_ids([row for row in rows if row.status == OutboxStatus.SENT])
    # Accepted by the server but not committed as sent: in flight at the kill.
    in_flight = set(arrived_before) - committed_sent
    assert len(arrived_before) < 500, "the kill came too late to test anything"
    assert len(in_flight) <= CONCURRENCY, in_flight

    faults.start_worker()  # takes the killed worker's batches back after the visibility timeout
    wait_until(all_settled(500), faults, "all 500 reminders sent after the restart")
    rows = outbox()
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    received = faults.sink.message_ids()
    assert set(received) == expected_ids(rows)  # all 500, nothing unexpected
    duplicates = {message_id: count for message_id, count in received.items() if count > 1}
    assert set(duplicates) <= in_flight, duplicates
    assert all(count == 2 for count in duplicates.values()), duplicates
    print(
        f"\nkill -9 after {len(arrived_before)} of 500 accepted; in flight {len(in_flight)}; "
        f"{sum(received.values())} raw deliveries, {len(received)} distinct, duplicates {len(duplicates)}"
    )


def test_signups_while_redis_is_down_are_stored_and_confirmed_once_it_is_back(faults: Stack):
    event = EventFactory(capacity=500, starts_at=in_days(20))
    slug = event.slug
    db.session.commit()
    client = faults.app.test_client()
    faults.redis.stop()
    statuses = []
    for number in range(200):
        response = client.post(
            f"/events/{slug}/register",
            data=form_data(email=f"panne{number}@exemple.fr", last_name=f"Panne{number}"),
        )
        statuses.append(response.status_code)
        if number % 50 == 0:
            # Public pages read the page cache (Redis): still served.
            statuses.append(client.get(f"/events/{slug}").status_code)
    assert [status for status in statuses if status >= 500] == []
    assert set(statuses) <= {200, 303}
    stored = db.session.scalar(sa.select(sa.func.count()).where(Registration.event_id == event.id))
    assert stored == 200
    rows = outbox()
    assert len(rows) == 200 and {row.status for row in rows} == {OutboxStatus.PENDING}
    assert all(row.last_error.startswith("not dispatched") for row in rows)
    assert faults.sink.accepted == []

    faults.redis.start()
    # The relay (beat, every minute), two minutes later.
    assert relay_stale_messages(now=now_utc() + timedelta(minutes=3)) == 200
    wait_until(all_settled(200), faults, "200 confirmations sent after Redis came back")
    rows = outbox()
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    received = faults.sink.message_ids()
    assert received == Counter(dict.fromkeys(expected_ids(rows), 1))
    addresses = sorted(f"panne{number}@exemple.fr" for number in range(200))
    assert sorted(to for _id, to in faults.sink.accepted) == addresses


def enqueue_for_new_registrations(count: int) -> tuple[int, list[str]]:
    event = EventFactory(capacity=count + 10)
    registrations = [RegistrationFactory(event=event) for _ in range(count)]
    for registration in registrations:
        enqueue_email(EmailKind.WAITLISTED, registration)
    event_id, addresses = event.id, [registration.email for registration in registrations]
    db.session.commit()  # published after the commit, in batches
    return event_id, addresses


def test_a_server_refusing_30_percent_with_4xx_gets_every_message_once(faults: Stack):
    faults.sink.reset(refuse_share=0.3)
    _event_id, addresses = enqueue_for_new_registrations(80)
    wait_until(all_settled(80), faults, "80 e-mails through a server refusing 30 %")
    rows = outbox()
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert faults.sink.busy_replies >= 10  # the refusals did happen, and were retried
    assert sum(row.attempts for row in rows) == 80 + faults.sink.busy_replies
    received = faults.sink.message_ids()
    assert received == Counter(dict.fromkeys(expected_ids(rows), 1))
    assert sorted(to for _id, to in faults.sink.accepted) == sorted(addresses)


def test_a_550_for_one_address_fails_that_message_and_delivers_the_rest(faults: Stack):
    event = EventFactory(capacity=40)
    registrations = [RegistrationFactory(event=event) for _ in range(30)]
    refused = registrations[7].email
    faults.sink.reset(refused={refused})
    for registration in registrations:
        enqueue_email(EmailKind.WAITLISTED, registration)
    event_id = event.id
    db.session.commit()
    wait_until(all_settled(30), faults, "30 e-mails, one refused")
    rows = outbox()
    [failed] = [row for row in rows if row.status == OutboxStatus.FAILED]
    assert failed.recipient == refused
    assert "550" in failed.last_error and refused in failed.last_error
    assert failed.attempts == 1  # a permanent refusal is not retried
    assert failed_email_count(event_id) == 1
    sent = [row for row in rows if row.status == OutboxStatus.SENT]
    assert len(sent) == 29
    assert faults.sink.message_ids() == Counter(dict.fromkeys(expected_ids(sent), 1))
    assert refused not in {to for _id, to in faults.sink.accepted}
