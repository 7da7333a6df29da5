"""The outbox: e-mails and tasks recorded with the change that causes them,
sent after the commit only, once, and relayed when the broker missed them.

Dispatching happens after a *real* commit, and the dispatcher works on
connections of its own, which cannot see the rolled-back outer transaction of
the ``db_session`` fixture. So the dispatch tests use ``committed``: an app on
a database of its own (a SQLite file, or a PostgreSQL database other than the
session's) whose tests really commit, with Celery eager. The dev mailbox
tests use the usual rolled-back fixtures and ``deliver_email``. What the
e-mails say is tested in test_mail_smtp.py.
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from celery import shared_task
from flask import Flask
from flask_migrate import upgrade

from eventsapp import create_app
from eventsapp.config import TestConfig
from eventsapp.db import now_utc
from eventsapp.extensions import db, mail
from eventsapp.notifications import dispatch
from eventsapp.notifications.mailer import compose_email
from eventsapp.notifications.models import OutboxMessage, OutboxStatus
from eventsapp.notifications.service import (
    DeliveryOutcome,
    EmailKind,
    QueuedEmail,
    deliver_email,
    enqueue_email,
    enqueue_emails,
    enqueue_task,
    forget_recipient,
)
from eventsapp.notifications.tasks import relay_outbox, send_email, send_email_batch
from eventsapp.notifications.transport import OutgoingMessage, message_id_domain, outbox_message_id
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.links import registration_page_url
from eventsapp.registrations.models import Registration
from tests.conftest import BACKENDS
from tests.databases import postgres_url, reset_postgres_schema
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory
from tests.workers import preserved_celery_current_app

# Tuesday 19 November 2030, 18:30 in Paris (UTC+1 in winter).
STARTS_AT = datetime(2030, 11, 19, 17, 30, tzinfo=UTC)
OUTBOX_DB = "eventsapp_test_outbox" + os.environ.get("PYTEST_XDIST_WORKER", "")
RECORDED_TASK = "tests.notifications.record_call"
task_calls: list[dict] = []


COUNTING_TASK = "tests.notifications.count_marked"
MARK = "Marquée par l'autre transaction"


@shared_task(name=RECORDED_TASK)
def record_call(**kwargs: object) -> None:
    task_calls.append(kwargs)


@shared_task(name=COUNTING_TASK)
def count_marked() -> None:
    """What a task started by the dispatcher sees of other transactions."""
    count = db.session.scalar(sa.select(sa.func.count()).where(Organisation.name == MARK))
    task_calls.append({"marked": count})


def build_committing_app(backend: str, instance: Path) -> Flask:
    if backend == "sqlite":
        url = f"sqlite:///{instance / 'outbox.sqlite'}"
    else:
        url = postgres_url(OUTBOX_DB)
        reset_postgres_schema(url)
    app = create_app(TestConfig(instance, url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


@pytest.fixture(scope="module", params=BACKENDS)
def committing_app(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Flask]:
    with preserved_celery_current_app():
        app = build_committing_app(request.param, tmp_path_factory.mktemp(f"outbox-{request.param}"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def committed(committing_app: Flask) -> Iterator[Flask]:
    """The committing app's context; every table is emptied afterwards."""
    task_calls.clear()
    with preserved_celery_current_app(), committing_app.app_context():
        committing_app.extensions["celery"].set_current()
        try:
            yield committing_app
        finally:
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())


def make_registration(**values: object) -> Registration:
    event = EventFactory(
        title="Ciné-débat « Demain »",
        starts_at=STARTS_AT,
        ends_at=STARTS_AT + timedelta(hours=2),
        venue_name="Cinéma Le Vox",
        venue_address="12 rue de la Paix",
        venue_postcode="53000",
        commune="Laval",
        contact_name="Camille Martin",
        contact_email="camille@exemple.org",
        contact_phone="02 43 00 00 00",
        organisation__name="Club ESS de Laval",
        **{key.removeprefix("event__"): value for key, value in values.items() if key.startswith("event__")},
    )
    fields = {key: value for key, value in values.items() if not key.startswith("event__")}
    return RegistrationFactory(event=event, first_name="Dominique", last_name="Lefèvre", **fields)


def outbox_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


# Dispatch after the commit -------------------------------------------------


def test_a_rolled_back_transaction_sends_nothing(committed):
    registration = make_registration()
    db.session.commit()
    with mail.record_messages() as sent:
        assert enqueue_email(EmailKind.CONFIRMATION, registration) is not None
        db.session.rollback()
    assert sent == []
    assert outbox_rows() == []


def test_a_committed_email_is_sent_once_and_marked_sent(committed):
    registration = make_registration()
    with mail.record_messages() as sent:
        message_id = enqueue_email(EmailKind.CONFIRMATION, registration)
        assert sent == []  # nothing leaves before the commit
        db.session.commit()
        assert [message.recipients for message in sent] == [[registration.email]]
        # A second run of the task, of the dispatcher and of the relay: no second e-mail.
        send_email.delay(message_id)
        assert dispatch.dispatch_messages([message_id]) == 0
        relay_outbox.delay()
        assert len(sent) == 1
    [row] = outbox_rows()
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1
    assert row.dispatched_at is not None and row.sent_at is not None
    assert row.recipient == registration.email


def test_the_same_key_gives_one_row_and_one_email(committed):
    registration = make_registration()
    with mail.record_messages() as sent:
        assert enqueue_email(EmailKind.WAITLISTED, registration) is not None
        assert enqueue_email(EmailKind.WAITLISTED, registration) is None
        db.session.commit()
        assert enqueue_email(EmailKind.WAITLISTED, db.session.get(Registration, registration.id)) is None
        db.session.commit()
    assert len(sent) == 1
    assert len(outbox_rows()) == 1


def test_already_registered_may_be_sent_more_than_once(committed):
    registration = make_registration()
    with mail.record_messages() as sent:
        enqueue_email(EmailKind.ALREADY_REGISTERED, registration, repeatable=True)
        db.session.commit()
        enqueue_email(
            EmailKind.ALREADY_REGISTERED, db.session.get(Registration, registration.id), repeatable=True
        )
        db.session.commit()
    assert len(sent) == 2
    assert all(row.status == OutboxStatus.SENT for row in outbox_rows())


def test_a_rolled_back_savepoint_takes_its_emails_back(committed):
    kept, undone, nested = make_registration(), make_registration(), make_registration()
    with mail.record_messages() as sent:
        enqueue_email(EmailKind.CONFIRMATION, kept)
        savepoint = db.session.begin_nested()
        enqueue_email(EmailKind.CONFIRMATION, undone)
        savepoint.rollback()
        with db.session.begin_nested():
            enqueue_email(EmailKind.CONFIRMATION, nested)
        db.session.commit()
    assert sorted(message.recipients[0] for message in sent) == sorted([kept.email, nested.email])


def test_tasks_start_after_the_commit_and_a_pending_key_is_not_enqueued_twice(committed):
    assert enqueue_task(RECORDED_TASK, key="event:5", event_id=5) is not None
    db.session.rollback()
    assert task_calls == [] and outbox_rows() == []

    first = enqueue_task(RECORDED_TASK, key="event:5", event_id=5)
    assert enqueue_task(RECORDED_TASK, key="event:5", event_id=5) is None
    assert task_calls == []
    db.session.commit()
    assert task_calls == [{"event_id": 5}]
    [row] = outbox_rows()
    assert row.status == OutboxStatus.DISPATCHED
    assert row.idempotency_key == f"task:{RECORDED_TASK}:event:5#{first}"

    # Once dispatched, the key is free again.
    assert enqueue_task(RECORDED_TASK, key="event:5", event_id=5) is not None
    enqueue_task(RECORDED_TASK, event_id=6)
    db.session.commit()
    assert task_calls == [{"event_id": 5}, {"event_id": 5}, {"event_id": 6}]


def test_dispatching_a_keyed_task_waits_for_the_transaction_that_relied_on_it(committed):
    """A transaction that found the key pending skipped its own enqueue: the
    task must start after that transaction's changes are committed."""
    # A pending row the after-commit dispatch missed (the process died).
    enqueue_task(COUNTING_TASK, key="event:7")
    db.session.info.pop(dispatch._PENDING)
    db.session.commit()
    [row] = outbox_rows()
    assert row.status == OutboxStatus.PENDING
    db.session.remove()
    relied, release, errors = threading.Event(), threading.Event(), []

    def other_transaction() -> None:
        with committed.app_context():
            try:
                OrganisationFactory(name=MARK)  # a write: SQLite's write lock is held from here
                assert enqueue_task(COUNTING_TASK, key="event:7") is None  # relies on the pending row
                relied.set()
                release.wait(10)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                relied.set()
                db.session.remove()

    def dispatcher() -> None:
        with committed.app_context():
            dispatch.dispatch_messages([row.id])

    other = threading.Thread(target=other_transaction)
    other.start()
    assert relied.wait(10)
    claiming = threading.Thread(target=dispatcher)
    claiming.start()
    claiming.join(0.5)
    assert claiming.is_alive()  # the claim waits for the other transaction
    release.set()
    other.join(10)
    claiming.join(10)
    assert errors == []
    assert task_calls == [{"marked": 1}]


def test_an_email_that_cannot_be_composed_is_given_up(committed, monkeypatch, caplog):
    def broken_template(*_args, **_kwargs):
        raise KeyError("a bug in a template")

    monkeypatch.setattr("eventsapp.notifications.service.compose_email", broken_template)
    registration = make_registration()
    with mail.record_messages() as sent:
        enqueue_email(EmailKind.CONFIRMATION, registration)
        db.session.commit()
    assert sent == []
    [row] = outbox_rows()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error.startswith("could not compose: KeyError")
    assert "Could not compose outbox e-mail" in caplog.text


def broker_down(_celery, _message) -> None:
    raise ConnectionError("broker down")


def test_a_broker_failure_is_logged_not_raised_and_the_relay_sends_later(committed, monkeypatch, caplog):
    monkeypatch.setattr(dispatch, "_publish_email", broker_down)
    stale, fresh = make_registration(), make_registration()
    with mail.record_messages() as sent:
        enqueue_email(EmailKind.CONFIRMATION, stale)
        enqueue_email(EmailKind.CONFIRMATION, fresh)
        db.session.commit()  # does not raise
        assert sent == []
        assert "Could not hand outbox e-mail" in caplog.text
        rows = outbox_rows()
        assert [row.status for row in rows] == [OutboxStatus.PENDING] * 2
        assert rows[0].last_error.startswith("not dispatched: ConnectionError")

        monkeypatch.undo()
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.registration_id == stale.id)
            .values(created_at=now_utc() - timedelta(minutes=3))
        )
        db.session.commit()
        relay_outbox.delay()
        assert [message.recipients[0] for message in sent] == [stale.email]
    statuses = {row.registration_id: row.status for row in outbox_rows()}
    assert statuses == {stale.id: OutboxStatus.SENT, fresh.id: OutboxStatus.PENDING}


def test_emails_lost_by_the_broker_are_relayed_after_2_then_15_minutes(committed, monkeypatch):
    """Published after the commit but lost: still pending, the relay hands
    them over again after 2 minutes (marking them dispatched, so a long queue
    gets at most one more copy); lost again, once more after 15 minutes."""
    monkeypatch.setattr(dispatch, "_publish_email", lambda _celery, _message: None)  # lost
    lost, recent = make_registration(), make_registration()
    enqueue_email(EmailKind.PROMOTED, lost)
    enqueue_email(EmailKind.PROMOTED, recent)
    db.session.commit()
    assert [row.status for row in outbox_rows()] == [OutboxStatus.PENDING] * 2
    assert dispatch.relay_stale_messages() == 0  # too recent: maybe still queued

    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.registration_id == lost.id)
        .values(created_at=now_utc() - timedelta(minutes=3))
    )
    db.session.commit()
    assert dispatch.relay_stale_messages() == 1  # lost once more
    assert dispatch.relay_stale_messages() == 0  # dispatched now: not again before 15 minutes
    statuses = {row.registration_id: row.status for row in outbox_rows()}
    assert statuses == {lost.id: OutboxStatus.DISPATCHED, recent.id: OutboxStatus.PENDING}
    monkeypatch.undo()

    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.registration_id == lost.id)
        .values(dispatched_at=now_utc() - timedelta(minutes=16))
    )
    db.session.commit()
    with mail.record_messages() as sent:
        assert dispatch.relay_stale_messages() == 1
        assert dispatch.relay_stale_messages() == 0
    assert [message.recipients[0] for message in sent] == [lost.email]


def test_an_erased_registration_gets_no_email(committed):
    registration = make_registration()
    registration.anonymised_at = now_utc()
    assert enqueue_email(EmailKind.CONFIRMATION, registration) is None
    other = make_registration()
    with mail.record_messages() as sent:
        message_id = enqueue_email(EmailKind.CANCELLED, other)
        other.anonymised_at = now_utc()
        forget_recipient(other.id)
        db.session.commit()
    assert sent == []
    row = db.session.get(OutboxMessage, message_id)
    assert row.status == OutboxStatus.FAILED and row.recipient is None


# Inside the rolled-back test transaction ----------------------------------


def test_a_commit_inside_an_outer_transaction_dispatches_nothing(db_session):
    registration = make_registration()
    with mail.record_messages() as sent:
        message_id = enqueue_email(EmailKind.CONFIRMATION, registration)
        db_session.commit()  # only releases a savepoint of the test's transaction
        assert sent == []
        assert db_session.get(OutboxMessage, message_id).status == OutboxStatus.PENDING
        assert deliver_email(message_id) == DeliveryOutcome.SENT
        assert deliver_email(message_id) == DeliveryOutcome.ALREADY_DONE
    assert len(sent) == 1
    assert db_session.get(OutboxMessage, message_id).status == OutboxStatus.SENT


# The dev mailbox -----------------------------------------------------------


def test_the_file_backend_writes_an_eml_that_the_dev_mailbox_lists_and_shows(
    app, client, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(app.config, "EMBEDDED_MODE", True)
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    registration = make_registration()
    page_url = registration_page_url(registration)
    assert deliver_email(enqueue_email(EmailKind.CONFIRMATION, registration)) == DeliveryOutcome.SENT
    [eml] = tmp_path.glob("*.eml")

    listing = client.get("/dev/mailbox")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert "Boîte aux lettres de développement" in page
    assert "Inscription confirmée – Ciné-débat « Demain »" in html.unescape(page)
    assert registration.email in page
    assert f'/dev/mailbox/{eml.name}"' in page

    shown = client.get(f"/dev/mailbox/{eml.name}")
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert 'sandbox="allow-top-navigation-by-user-activation' in page
    assert "srcdoc=" in page and "&lt;base target=&#34;_top&#34;&gt;" in page
    assert f'<a href="{page_url}">{page_url}</a>' in page  # the text part's links are clickable

    assert client.get("/dev/mailbox/absent.eml").status_code == 404
    assert client.get("/dev/mailbox/secret_key").status_code == 404
    # Longer than the file system allows a name: no message of ours either.
    assert client.get("/dev/mailbox/" + "a" * 300 + ".eml").status_code == 404


@pytest.mark.parametrize(
    ("embedded", "backend", "remote"),
    [
        (False, "smtp", "127.0.0.1"),  # a server
        (False, "file", "127.0.0.1"),  # a server with a database but no MAIL_SERVER
        (True, "smtp", "127.0.0.1"),  # the embedded mode sending through SMTP
        (True, "file", "203.0.113.7"),  # the embedded mode, asked from another machine
    ],
)
def test_the_dev_mailbox_is_a_404_outside_the_embedded_mode_on_this_machine(
    app, client, monkeypatch, embedded, backend, remote
):
    """It shows password links: never on a server, never to another machine."""
    monkeypatch.setitem(app.config, "EMBEDDED_MODE", embedded)
    monkeypatch.setitem(app.config, "MAIL_BACKEND", backend)
    environ = {"REMOTE_ADDR": remote}
    assert client.get("/dev/mailbox", environ_base=environ).status_code == 404
    assert client.get("/dev/mailbox/any.eml", environ_base=environ).status_code == 404


def test_a_server_with_a_database_never_writes_mail_to_files(monkeypatch, tmp_path):
    from eventsapp.config import Config

    monkeypatch.delenv("MAIL_SERVER", raising=False)
    monkeypatch.delenv("MAIL_BACKEND", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/ailleurs")
    server = Config(tmp_path)
    assert (server.EMBEDDED_MODE, server.MAIL_BACKEND) == (False, "smtp")
    monkeypatch.delenv("DATABASE_URL")
    laptop = Config(tmp_path)
    assert (laptop.EMBEDDED_MODE, laptop.MAIL_BACKEND) == (True, "file")


def test_an_event_title_with_markup_is_escaped_in_the_html_and_kept_as_typed_in_the_text(db_session):
    """The e-mails' translated sentences take the title as a variable: the
    HTML part escapes it, the plain-text part keeps it as typed."""
    registration = make_registration()
    registration.event.title = "Ciné <b>débat</b> & échanges"
    message = compose_email(EmailKind.CONFIRMATION, registration)
    assert "« Ciné &lt;b&gt;débat&lt;/b&gt; &amp; échanges »" in message.html
    assert "<b>débat</b>" not in message.html
    # The catalogue's own text is not escaped a second time.
    assert "votre place ira à quelqu'un d'autre" in message.html
    assert "« Ciné <b>débat</b> & échanges »" in message.body


def test_a_paragraph_longer_than_smtp_allows_is_wrapped_and_reads_the_same(db_session):
    """SMTP lines stop at 998 bytes: an organiser's long paragraph goes out
    quoted-printable (wrapped, decoded back to the same text); short texts
    stay 8-bit."""
    paragraph = "Nous vous attendons nombreux·ses pour échanger sur l'ESS. " * 60
    sender = "ne-pas-repondre@eventsapp.localhost"
    message = OutgoingMessage(
        subject="Message",
        recipients=["a@exemple.fr"],
        body=paragraph,
        html=f"<p>{paragraph}</p>",
        sender=sender,
    )
    raw = message.as_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    received = BytesParser(policy=policy.default).parsebytes(raw)
    assert received.get_body(preferencelist=("plain",)).get_content() == paragraph
    assert received.get_body(preferencelist=("html",)).get_content() == f"<p>{paragraph}</p>"
    short = OutgoingMessage(
        subject="Message", recipients=["a@exemple.fr"], body="Bonjour Aïssata", sender=sender
    )
    assert b"Content-Transfer-Encoding: 8bit" in short.as_bytes()


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "Sujet", "recipients": ["a@exemple.fr"], "body": "Bonjour"},
        {
            "subject": "Sujet",
            "recipients": [("Aïssata", "a@exemple.fr")],
            "body": "Bonjour",
            "html": "<p>Bonjour</p>",
            "alts": {"calendar": "BEGIN:VCALENDAR"},
            "sender": ("CRESS", "cress@exemple.fr"),
            "cc": ["c@exemple.fr"],
            "bcc": ["b@exemple.fr"],
            "reply_to": "r@exemple.fr",
            "date": 1_790_000_000.0,
            "charset": "utf-8",
            "extra_headers": {"Auto-Submitted": "auto-generated"},
            "mail_options": ["SMTPUTF8"],
            "rcpt_options": ["NOTIFY=NEVER"],
        },
    ],
)
def test_an_outgoing_message_holds_what_flask_mails_message_holds(app, monkeypatch, fields):
    """``OutgoingMessage`` sets Flask-Mail's attributes itself (to skip its
    ``make_msgid()``): the same parameters, the same attributes with the
    same values, but a Message-ID under ``MAIL_DEFAULT_SENDER``'s domain,
    and no lookup of the machine's name."""
    import inspect

    from flask_mail import Message

    assert (
        inspect.signature(OutgoingMessage).parameters.keys() == inspect.signature(Message).parameters.keys()
    )
    with app.app_context():
        flask_mails = vars(Message(**fields))
        monkeypatch.setattr("socket.getfqdn", lambda *_args: pytest.fail("asked for the machine's name"))
        ours = vars(OutgoingMessage(**fields))
        domain = message_id_domain()
    assert sorted(ours) == sorted(flask_mails)
    assert {name: value for name, value in ours.items() if name != "msgId"} == {
        name: value for name, value in flask_mails.items() if name != "msgId"
    }
    assert ours["msgId"].startswith("<") and ours["msgId"].endswith(f"@{domain}>")


def test_message_ids_are_ascii_under_an_accented_sender_domain(app, monkeypatch):
    """A sender at "créss.fr": Message-IDs in IDNA, written as plain headers."""
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "CRESS <ne-pas-repondre@créss.fr>")
    with app.app_context():
        message = OutgoingMessage(subject="Sujet", recipients=["a@exemple.fr"], body="Bonjour")
        outbox_id = outbox_message_id(7, "email:confirmation:7")
        raw = message.as_bytes()
    assert message.msgId.endswith("@xn--crss-cpa.fr>")
    assert outbox_id.endswith("@xn--crss-cpa.fr>")
    assert f"Message-ID: {message.msgId}\r\n".encode() in raw


def test_many_emails_are_recorded_once_each_and_a_key_already_taken_is_skipped(db_session):
    """``enqueue_emails`` (reminders, notices): one row per new key, with
    its payload; a key recorded before is neither written again nor
    returned; the chunks all land."""
    first, second, third = (make_registration() for _ in range(3))
    earlier = enqueue_emails(
        EmailKind.REMINDER, [QueuedEmail(first.id, first.email, "email:reminder:t1", {"rule_id": 1})]
    )
    assert list(earlier) == ["email:reminder:t1"]
    created = enqueue_emails(
        EmailKind.REMINDER,
        [
            QueuedEmail(first.id, first.email, "email:reminder:t1", {"rule_id": 1}),
            QueuedEmail(second.id, second.email, "email:reminder:t2", {"rule_id": 2}),
            QueuedEmail(third.id, third.email, "email:reminder:t3", {"rule_id": 3}),
        ],
        chunk=2,
    )
    assert sorted(created) == ["email:reminder:t2", "email:reminder:t3"]
    rows = db_session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.idempotency_key.like("email:reminder:t%"))
    ).all()
    assert sorted((row.idempotency_key, row.payload["rule_id"], row.recipient) for row in rows) == [
        ("email:reminder:t1", 1, first.email),
        ("email:reminder:t2", 2, second.email),
        ("email:reminder:t3", 3, third.email),
    ]
    assert {row.id for row in rows} == {earlier["email:reminder:t1"], *created.values()}
    assert all(row.status == OutboxStatus.PENDING and row.email_kind == EmailKind.REMINDER for row in rows)


def test_a_batch_uses_one_database_connection_on_postgresql(committed):
    """Committed e-mail by e-mail, a batch still checks out one pooled
    connection on PostgreSQL (each checkout costs pool_pre_ping's round
    trip); on SQLite, whose IMMEDIATE transactions begin on the engine, it
    keeps the engine's. Either way the app's own session is back after."""
    first = make_registration()
    registrations = [first] + [RegistrationFactory(event=first.event) for _ in range(4)]
    ids = [enqueue_email(EmailKind.WAITLISTED, registration) for registration in registrations]
    db.session.commit()  # eager Celery sends them: send them again, as a redelivered batch would
    db.session.execute(sa.update(OutboxMessage).values(status=OutboxStatus.PENDING, sent_at=None, attempts=0))
    db.session.commit()
    session_before = db.session()
    checkouts: list[object] = []

    def count_checkout(*args: object) -> None:
        checkouts.append(args)

    sa.event.listen(db.engine, "checkout", count_checkout)
    try:
        with mail.record_messages() as sent:
            assert send_email_batch(ids) == {"sent": 5}
    finally:
        sa.event.remove(db.engine, "checkout", count_checkout)
    assert len(sent) == 5
    if db.engine.dialect.name == "postgresql":
        assert len(checkouts) == 1
    else:
        assert len(checkouts) > 1
    assert db.session() is session_before
    db.session.expire_all()
    assert [db.session.get(OutboxMessage, message_id).status for message_id in ids] == [OutboxStatus.SENT] * 5


def test_a_batch_whose_database_connection_dies_sends_the_rest_on_a_new_one(committed):
    """PostgreSQL restarted between two e-mails of a batch (its connection
    is held for the whole batch, without a pre-ping per e-mail): the rest of
    the batch is retried on a new connection; every e-mail leaves once. (On
    SQLite, whose batch takes a pooled connection per e-mail, the pool is
    emptied instead: the batch goes on.)"""
    import psycopg

    from eventsapp.notifications import tasks

    first = make_registration()
    registrations = [first] + [RegistrationFactory(event=first.event) for _ in range(4)]
    ids = [enqueue_email(EmailKind.WAITLISTED, registration) for registration in registrations]
    addresses = sorted(registration.email for registration in registrations)
    db.session.commit()  # eager Celery sends them: send them again, as a redelivered batch would
    db.session.execute(sa.update(OutboxMessage).values(status=OutboxStatus.PENDING, sent_at=None, attempts=0))
    db.session.commit()
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    real_deliver = tasks.deliver_email
    delivered: list[int] = []

    def deliver_after_a_restart(message_id: int, *args: object, **kwargs: object) -> object:
        delivered.append(message_id)
        if len(delivered) == 3 and db.engine.dialect.name == "sqlite":
            db.engine.dispose()
        elif len(delivered) == 3:
            with psycopg.connect(url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        return real_deliver(message_id, *args, **kwargs)

    tasks.deliver_email = deliver_after_a_restart
    try:
        with mail.record_messages() as sent:
            send_email_batch.delay(ids)  # eager: the retry runs at once
    finally:
        tasks.deliver_email = real_deliver
    db.session.remove()
    assert sorted(message.recipients[0] for message in sent) == addresses
    assert [db.session.get(OutboxMessage, message_id).status for message_id in ids] == [OutboxStatus.SENT] * 5


def test_an_address_smtp_cannot_carry_fails_alone_and_the_batch_goes_on(db_session, app, monkeypatch):
    """An accented local part (stored before the form refused them) cannot
    be written in SMTP's envelope: that e-mail is failed with the reason,
    before any command reaches the server, and the rest of the batch is
    sent on the same session."""
    from aiosmtpd.controller import Controller

    from eventsapp.notifications.transport import BatchConnection
    from tests.test_mail_smtp import SMTPRecorder, free_port

    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port}
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    try:
        first = make_registration(email="josé@exemple.fr")
        second = RegistrationFactory(event=first.event)
        ids = [enqueue_email(EmailKind.WAITLISTED, first), enqueue_email(EmailKind.WAITLISTED, second)]
        with BatchConnection() as connection:
            outcomes = [deliver_email(message_id, connection) for message_id in ids]
            assert connection.opened == 1  # checked before the session: it was not disturbed
    finally:
        controller.stop()
    assert outcomes == [DeliveryOutcome.FAILED, DeliveryOutcome.SENT]
    failed = db_session.get(OutboxMessage, ids[0])
    assert failed.status == OutboxStatus.FAILED
    assert "cannot be written out" in failed.last_error
    assert [envelope.rcpt_tos for envelope in recorder.envelopes] == [[second.email]]


def test_an_email_given_up_stays_given_up_when_the_same_transaction_writes_more(committed, monkeypatch):
    """``mark_failed`` writes the row with Core (no flush): on SQLite the
    write must still count as one, or a later ``prepare_write`` in the same
    request would start the transaction again and lose it."""
    from eventsapp.locking import prepare_write
    from eventsapp.notifications.service import mark_failed

    monkeypatch.setattr(dispatch, "publish_emails", lambda ids: 0)  # keep the row pending
    registration = make_registration()
    message_id = enqueue_email(EmailKind.CONFIRMATION, registration)
    db.session.commit()
    prepare_write()  # as its docstring asks (an admin request begins so)
    mark_failed(message_id, "abandonné par l'organisateur")
    prepare_write()  # the same request goes on, e.g. to change the event
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message_id)
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "abandonné par l'organisateur")


def test_a_sender_smtp_cannot_carry_is_a_setting_to_fix_not_a_failed_email(db_session, app, monkeypatch):
    """``MAIL_DEFAULT_SENDER`` with an accented local part: the e-mail is
    not given up (it leaves once the setting is fixed); the error says why."""
    from aiosmtpd.controller import Controller

    from tests.test_mail_smtp import SMTPRecorder, free_port

    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_DEFAULT_SENDER": "équipe@exemple.fr",
    }
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    try:
        message_id = enqueue_email(EmailKind.WAITLISTED, make_registration())
        db_session.commit()
        with pytest.raises(UnicodeError):
            deliver_email(message_id)
        db_session.rollback()
        assert db_session.get(OutboxMessage, message_id).status == OutboxStatus.PENDING
        monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "equipe@exemple.fr")
        assert deliver_email(message_id) == DeliveryOutcome.SENT
    finally:
        controller.stop()
    assert len(recorder.envelopes) == 1


@pytest.mark.parametrize(
    "sender", ["équipe@exemple.fr", "pas une adresse", "", "a@exemple.fr\r\nBcc: b@exemple.fr"]
)
def test_the_app_does_not_start_with_a_sender_smtp_cannot_carry(tmp_path, sender):
    """Caught at start-up, with the setting's name: not one failed e-mail at a time."""
    config = TestConfig(tmp_path, f"sqlite:///{tmp_path / 'app.sqlite'}")
    config.MAIL_DEFAULT_SENDER = sender
    with pytest.raises(ValueError, match="MAIL_DEFAULT_SENDER"):
        create_app(config)


@pytest.mark.parametrize(
    "sender",
    [
        "CRESS Pays de la Loire <ne-pas-repondre@cress-pdl.org>",
        "Chambre régionale <noreply@exemple.fr>",
        "noreply@créss.fr",
    ],
)
def test_the_app_starts_with_a_named_or_international_sender(tmp_path, sender):
    config = TestConfig(tmp_path, f"sqlite:///{tmp_path / 'app.sqlite'}")
    config.MAIL_DEFAULT_SENDER = sender
    assert create_app(config).config["MAIL_DEFAULT_SENDER"] == sender


def test_an_organiser_contact_smtp_cannot_carry_is_left_out_of_reply_to(db_session):
    """An event contact stored with an accented local part (before the event
    form refused them): its e-mails still leave, without Reply-To."""
    registration = make_registration()
    for contact in ("rené@asso.fr", "camille@exämple..fr"):
        registration.event.contact_email = contact
        message = compose_email(EmailKind.CONFIRMATION, registration)
        assert message.reply_to is None
        assert contact in message.body
    registration.event.contact_email = "camille@exämple.fr"  # an accented domain is fine (IDNA)
    assert compose_email(EmailKind.CONFIRMATION, registration).reply_to == "camille@exämple.fr"
    assert deliver_email(enqueue_email(EmailKind.WAITLISTED, registration)) == DeliveryOutcome.SENT
