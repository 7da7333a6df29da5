"""Reliable delivery, in process: batches on one SMTP connection, stable
Message-IDs, a refusal in a batch (4xx: that message alone again; 5xx: that
message failed), publishing in chunks, retry delays, and the Celery settings
(queues, visibility timeout, publishing that gives up fast).

The SMTP server is a real local one (aiosmtpd); Celery is eager, so a
message re-queued with a countdown runs at once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from eventsapp.config import (
    DEFAULT_QUEUE,
    MAIL_QUEUE,
    PROJECT_ROOT,
    TASK_TIME_LIMIT,
    Config,
    celery_settings,
    visibility_timeout_for,
)
from eventsapp.extensions import db
from eventsapp.notifications import dispatch
from eventsapp.notifications.models import OutboxMessage, OutboxStatus
from eventsapp.notifications.service import (
    DeliveryOutcome,
    EmailKind,
    deliver_email,
    enqueue_email,
    failed_email_count,
)
from eventsapp.notifications.tasks import retry_delay, send_email_batch
from eventsapp.notifications.transport import outbox_message_id
from tests.factories import RegistrationFactory
from tests.test_mail_smtp import SMTPRecorder, free_port
from tests.test_notifications import make_registration
from tests.workers import CeleryWorker


class CountingRecorder(SMTPRecorder):
    """Also counts SMTP sessions (one EHLO each) and keeps Message-IDs."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.sessions += 1
        session.host_name = hostname
        return responses

    def message_ids(self) -> list[str]:
        parser = BytesParser(policy=policy.default)
        return [str(parser.parsebytes(e.original_content)["Message-ID"]) for e in self.envelopes]


@pytest.fixture
def smtp(app, monkeypatch) -> Iterator[CountingRecorder]:
    recorder = CountingRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    for name, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_TIMEOUT": 5,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    try:
        yield recorder
    finally:
        controller.stop()


def enqueue_many(count: int, kind: EmailKind = EmailKind.WAITLISTED) -> tuple[object, list[int]]:
    first = make_registration()
    registrations = [first] + [RegistrationFactory(event=first.event) for _ in range(count - 1)]
    return first.event, [enqueue_email(kind, registration) for registration in registrations]


def rows(ids: list[int]) -> list[OutboxMessage]:
    db.session.expire_all()
    return [db.session.get(OutboxMessage, message_id) for message_id in ids]


def test_a_batch_is_sent_on_one_connection_each_with_its_stable_message_id(db_session, smtp):
    _event, ids = enqueue_many(12)
    assert send_email_batch.delay(ids).get() == {"sent": 12}
    assert smtp.sessions == 1
    expected = [outbox_message_id(row.id, row.idempotency_key) for row in rows(ids)]
    assert smtp.message_ids() == expected
    assert len(set(expected)) == 12
    assert all(re.fullmatch(r"<outbox-\d+\.[0-9a-f]{16}@eventsapp\.localhost>", mid) for mid in expected)
    assert [row.status for row in rows(ids)] == [OutboxStatus.SENT] * 12

    # Run again (a redelivered batch): nothing is sent, no connection opened.
    assert send_email_batch.delay(ids).get() == {"already-done": 12}
    assert smtp.sessions == 1 and len(smtp.envelopes) == 12


def test_the_message_id_is_the_same_when_the_message_is_sent_again(db_session, smtp):
    """As after a crash between the server's 250 and our commit."""
    _event, [message_id] = enqueue_many(1)
    assert deliver_email(message_id) == DeliveryOutcome.SENT
    row = rows([message_id])[0]
    row.status = OutboxStatus.DISPATCHED  # the commit that never happened
    db.session.flush()
    assert deliver_email(message_id) == DeliveryOutcome.SENT
    first, second = smtp.message_ids()
    assert first == second == outbox_message_id(message_id, row.idempotency_key)


def test_a_busy_reply_in_a_batch_requeues_that_message_alone(db_session, smtp):
    _event, ids = enqueue_many(6)
    original = smtp.handle_DATA
    calls = Counter()

    async def busy_third(server, session, envelope):
        calls["data"] += 1
        if calls["data"] == 3:
            return "451 4.3.0 Try again later"
        return await original(server, session, envelope)

    smtp.handle_DATA = busy_third
    outcome = send_email_batch.delay(ids).get()
    assert outcome == {"sent": 5, "requeued": 1}
    # Eager Celery ran the re-queued message at once, on a connection of its own.
    assert smtp.sessions == 2
    counts = Counter(smtp.message_ids())
    assert sorted(counts.values()) == [1] * 6
    attempts = [row.attempts for row in rows(ids)]
    assert sorted(attempts) == [1, 1, 1, 1, 1, 2]
    assert all(row.status == OutboxStatus.SENT for row in rows(ids))


def test_a_refused_address_in_a_batch_fails_that_message_only(db_session, smtp):
    event, ids = enqueue_many(5)
    event_id = event.id  # the task's end closes the session: keep plain values
    refused = rows(ids)[2].recipient
    original = smtp.handle_RCPT

    async def refuse_one(server, session, envelope, address, rcpt_options):
        if address == refused:
            return "550 5.1.1 Adresse inconnue"
        return await original(server, session, envelope, address, rcpt_options)

    smtp.handle_RCPT = refuse_one
    assert send_email_batch.delay(ids).get() == {"sent": 4, "failed": 1}
    assert smtp.sessions == 1
    statuses = {row.recipient: (row.status, row.last_error) for row in rows(ids)}
    status, error = statuses.pop(refused)
    assert status == OutboxStatus.FAILED and "550" in error and refused in error
    assert {s for s, _e in statuses.values()} == {OutboxStatus.SENT}
    assert failed_email_count(event_id) == 1
    assert failed_email_count(event_id + 1000) == 0


def test_a_server_down_retries_the_rest_of_the_batch_together(db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens
    monkeypatch.setattr(send_email_batch, "max_retries", 2)
    _event, ids = enqueue_many(4)
    send_email_batch.delay(ids)  # eager: the retries run at once
    # One connection attempt per try, counted on the first message only.
    assert [row.attempts for row in rows(ids)] == [3, 0, 0, 0]
    assert {row.status for row in rows(ids)} == {OutboxStatus.DISPATCHED, OutboxStatus.PENDING}
    assert "ConnectionRefusedError" in rows(ids)[0].last_error


def test_publishing_goes_in_chunks_and_stops_at_the_first_broker_failure(app, monkeypatch):
    published: list[object] = []
    monkeypatch.setattr(dispatch, "_publish_email", lambda _celery, ids: published.append(ids))
    monkeypatch.setattr(dispatch, "_release", lambda failed: published.append(("released", len(failed))))
    with app.app_context():
        monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 50)
        assert dispatch.publish_emails(list(range(1, 121))) == 120
        assert [len(chunk) for chunk in published] == [50, 50, 20]

        published.clear()
        tries: list[int] = []

        def down(_celery, ids) -> None:
            tries.append(len(ids))
            raise ConnectionError("broker down")

        monkeypatch.setattr(dispatch, "_publish_email", down)
        assert dispatch.publish_emails(list(range(1, 121))) == 0
        assert tries == [50]  # one try, not three
        assert published == [("released", 120)]


def test_retry_delays_grow_exponentially_with_jitter_up_to_the_cap(app, monkeypatch):
    with app.app_context():
        monkeypatch.setitem(app.config, "MAIL_RETRY_BACKOFF", 30.0)
        monkeypatch.setitem(app.config, "MAIL_RETRY_BACKOFF_MAX", 600.0)
        for retries, ceiling in [(0, 30), (1, 60), (2, 120), (4, 480), (5, 600), (12, 600)]:
            delays = [retry_delay(retries) for _ in range(200)]
            assert all(ceiling / 2 <= delay <= ceiling for delay in delays), retries
            assert max(delays) - min(delays) > ceiling / 10  # jittered, not fixed


def test_mail_has_its_own_queue_and_redis_waits_longer_than_any_retry(tmp_path: Path):
    settings = celery_settings("redis://127.0.0.1:6379/0", tmp_path, retry_backoff_max=600)
    assert settings["task_default_queue"] == DEFAULT_QUEUE
    assert settings["task_routes"]["notifications.send_email"] == {"queue": MAIL_QUEUE}
    assert settings["task_routes"]["notifications.send_email_batch"] == {"queue": MAIL_QUEUE}
    assert settings["task_acks_late"] and settings["task_reject_on_worker_lost"]
    assert settings["worker_prefetch_multiplier"] == 1
    options = settings["broker_transport_options"]
    assert options["visibility_timeout"] > 600 + TASK_TIME_LIMIT
    assert options["socket_connect_timeout"] <= 2
    assert settings["task_publish_retry_policy"]["max_retries"] <= 1
    longer = celery_settings("redis://x", tmp_path, retry_backoff_max=7200)
    assert longer["broker_transport_options"]["visibility_timeout"] > 7200
    assert visibility_timeout_for(7200) > 7200
    short = celery_settings("redis://x", tmp_path, visibility_timeout=5)
    assert short["broker_transport_options"]["visibility_timeout"] == 5


def test_the_environment_sets_retries_and_the_visibility_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/9")
    monkeypatch.setenv("MAIL_RETRY_BACKOFF_MAX", "5400")
    monkeypatch.setenv("MAIL_MAX_RETRIES", "3")
    config = Config(tmp_path)
    assert config.MAIL_MAX_RETRIES == 3
    assert config.CELERY["broker_transport_options"]["visibility_timeout"] > 5400
    assert config.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED is True
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "7")
    assert Config(tmp_path).CELERY["broker_transport_options"]["visibility_timeout"] == 7


def test_every_documented_worker_consumes_both_queues(tmp_path):
    wanted = f"--queues={MAIL_QUEUE},{DEFAULT_QUEUE}"
    for file in ("Procfile", "scripts/run-dev.sh"):
        text = (PROJECT_ROOT / file).read_text()
        workers = re.findall(r"celery\S*\s+-A\s+\S+\s+worker[^\n]*(?:\\\n[^\n]*)*", text)
        assert workers and all(wanted in line for line in workers), file
    command = " ".join(CeleryWorker({}, tmp_path).command)
    assert wanted in command
