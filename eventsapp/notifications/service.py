"""Notifications: e-mails and tasks written to the outbox, and e-mail delivery.

The registration service calls ``enqueue_email`` / ``enqueue_task`` inside its
transaction; they flush a row and never commit. Once the caller commits,
``notifications.dispatch`` hands the new rows to Celery. ``deliver_email`` is
what the ``notifications.send_email`` task does with one row: send it once,
under the row's lock (``notifications.locks``).

In tests that run inside an outer transaction that is rolled back (the
``db_session`` fixture), nothing is dispatched by the commit; call
``deliver_email(message.id)`` to send an enqueued e-mail there.
"""

from __future__ import annotations

import enum
import json
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.locking import note_written
from eventsapp.notifications.dispatch import note_outbox_message
from eventsapp.notifications.locks import lock_message, lock_preloaded_message, write_row_state
from eventsapp.notifications.mailer import compose_email
from eventsapp.notifications.models import EmailKind, OutboxKind, OutboxMessage, OutboxStatus
from eventsapp.notifications.transport import (
    BatchConnection,
    UnsendableMessage,
    outbox_message_id,
    send_message,
)
from eventsapp.registrations.models import Registration

__all__ = [
    "MAX_DELIVERY_ATTEMPTS",
    "DeliveryOutcome",
    "EmailKind",
    "QueuedEmail",
    "deliver_email",
    "enqueue_email",
    "enqueue_emails",
    "enqueue_task",
    "forget_recipient",
    "is_permanent_refusal",
    "mark_failed",
]

logger = logging.getLogger(__name__)
_table = OutboxMessage.__table__

# After this many SMTP attempts (over task retries and relay rounds) an
# e-mail is given up and marked failed.
MAX_DELIVERY_ATTEMPTS = 24
# Transient delivery errors: the task retries them.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)


class DeliveryOutcome(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    ALREADY_DONE = "already-done"
    SKIPPED = "skipped"  # no such row, or another worker holds it


def email_key(kind: EmailKind, registration_id: int) -> str:
    """The idempotency key of the e-mail ``kind`` about one registration."""
    return f"email:{EmailKind(kind).value}:{registration_id}"


def enqueue_email(kind: EmailKind, registration: Registration, *, repeatable: bool = False) -> int | None:
    """Record the e-mail ``kind`` to ``registration``'s address in the current
    transaction; it is sent after the commit, at most once per (kind,
    registration). ``repeatable=True`` allows one more each call (for "already
    registered"). Returns the new row's id, or None when it was already
    recorded (or the registration's personal data were erased). Never commits.
    """
    kind = EmailKind(kind)
    if registration.anonymised_at is not None or not registration.email:
        return None
    if registration.id is None:
        db.session.flush()
    key = email_key(kind, registration.id)
    if repeatable:
        key = f"{key}:{uuid4().hex}"
    return _insert(
        kind=OutboxKind.EMAIL,
        email_kind=kind,
        registration_id=registration.id,
        recipient=registration.email,
        payload={},
        idempotency_key=key,
    )


@dataclass(frozen=True)
class QueuedEmail:
    """One e-mail of a batch for ``enqueue_emails``."""

    registration_id: int
    recipient: str
    key: str
    payload: dict = field(default_factory=dict)


def enqueue_emails(kind: EmailKind, emails: Sequence[QueuedEmail], *, chunk: int = 500) -> dict[str, int]:
    """Record many e-mails of one ``kind`` (reminders, notices) with a few
    INSERTs; a key already recorded is skipped. Returns the new rows' ids by
    key. Never commits."""
    kind = EmailKind(kind)
    session = db.session()
    connection = session.connection()
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    # One statement for many rows: SQLAlchemy's "insertmanyvalues" batches
    # them into multi-row INSERTs from one compiled form (a statement with
    # the rows as its VALUES compiled anew for each chunk: a tenth of a
    # worker's time in bench/reminders.py).
    statement = (
        insert(_table)
        .on_conflict_do_nothing(index_elements=[_table.c.idempotency_key])
        .returning(_table.c.id, _table.c.idempotency_key)
    )
    created: dict[str, int] = {}
    now = now_utc()
    for start in range(0, len(emails), chunk):
        rows = [
            {
                "kind": OutboxKind.EMAIL,
                "email_kind": kind,
                "registration_id": email.registration_id,
                "recipient": email.recipient,
                "payload": dict(email.payload),
                "idempotency_key": email.key,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "created_at": now,
            }
            for email in emails[start : start + chunk]
        ]
        for message_id, key in connection.execute(statement, rows):
            created[key] = message_id
            note_outbox_message(session, message_id, OutboxKind.EMAIL)
    if created:
        note_written(session)
    return created


def enqueue_task(task_name: str, *, key: str | None = None, **kwargs: object) -> int | None:
    """Record the Celery task ``task_name(**kwargs)`` to start after the commit.

    With a ``key``, a second enqueue while a row with that key is still
    pending is a no-op (None): the pending task will run after this
    transaction's changes are committed too, because dispatching waits for
    the row lock taken here. Once dispatched, the key is free again.
    ``kwargs`` must be JSON-serialisable (pass ids, never objects).
    Returns the new row's id. Never commits.
    """
    json.dumps(kwargs)  # fail now, not in the worker
    base = f"task:{task_name}:"
    if key is None:
        return _insert_task(task_name, kwargs, f"{base}{uuid4().hex}")
    full_key = f"{base}{key}"
    if len(full_key) > 200:
        raise ValueError("task key too long")
    # FOR UPDATE: the dispatcher, which gives the key back, waits for us.
    if _key_exists(full_key, lock=True):
        return None
    message_id = _insert_task(task_name, kwargs, full_key)
    if message_id is None:
        # A concurrent transaction took the key first and may dispatch before
        # we commit: our own run is needed (tasks are idempotent).
        message_id = _insert_task(task_name, kwargs, f"{full_key}:{uuid4().hex}")
    return message_id


def _insert_task(task_name: str, kwargs: dict, key: str) -> int | None:
    return _insert(kind=OutboxKind.TASK, task_name=task_name, payload=dict(kwargs), idempotency_key=key)


def _key_exists(key: str, *, lock: bool = False) -> bool:
    query = sa.select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query) is not None


def _insert(**values: object) -> int | None:
    """One ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id``:
    the id of the new row, or None if its key is already taken. One round
    trip, where a check, a savepoint and an ORM flush took four; a key taken
    by a concurrent transaction waits for it, then yields None."""
    session = db.session()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(_table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[_table.c.idempotency_key])
        .returning(_table.c.id)
    )
    message_id = session.execute(statement).scalar()
    if message_id is not None:
        note_written(session)
        note_outbox_message(session, message_id, values["kind"])  # type: ignore[arg-type]
    return message_id


def is_permanent_refusal(error: BaseException) -> bool:
    """True for an SMTP 5xx answer that no retry will change (unknown
    mailbox, message refused); authentication failures are configuration
    problems and are retried like any other transient error."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def describe_error(error: BaseException) -> str:
    """A short, storable account of a delivery error."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in error.recipients.items()
        )
        return f"SMTPRecipientsRefused: {replies}"[:2000]
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}"[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def deliver_email(
    message_id: int, connection: BatchConnection | None = None, *, preloaded: bool = False
) -> DeliveryOutcome:
    """Send the outbox e-mail ``message_id`` now unless it was already sent
    or given up, and record the outcome. Writes, never commits.

    ``connection``: an open ``transport.BatchConnection`` shared by a batch
    (else one is opened for this message). The e-mail carries the row's
    stable Message-ID (``transport.outbox_message_id``): sent again after a
    crash, it is the same message to the recipient's systems.

    A transient error (``TRANSIENT_ERRORS``) is recorded on the row and
    raised again, for the task to retry, unless it was the last attempt
    allowed (``MAX_DELIVERY_ATTEMPTS``): the row is then failed with the
    reason. A permanent refusal marks the row failed and is not raised.

    ``preloaded``: the row was loaded by ``locks.preload_emails`` (a batch):
    its state and the statuses that decide are read again under the lock,
    and the person or event reloaded if their ``updated_at`` moved.
    """
    message = lock_preloaded_message(message_id) if preloaded else lock_message(message_id)
    if message is None:
        return DeliveryOutcome.SKIPPED
    if message.kind != OutboxKind.EMAIL or message.status in (
        OutboxStatus.SENT,
        OutboxStatus.FAILED,
        OutboxStatus.CANCELLED,
    ):
        return DeliveryOutcome.ALREADY_DONE
    registration = message.registration
    if registration is None or registration.anonymised_at is not None or not message.recipient:
        _fail(message, "registration erased or deleted: not sent")
        return DeliveryOutcome.FAILED
    obsolete = _obsolete_reason(message, registration)
    if obsolete is not None:
        write_row_state(message, status=OutboxStatus.CANCELLED, last_error=f"not sent: {obsolete}")
        return DeliveryOutcome.ALREADY_DONE
    # Handed to SMTP now, unless a worker took it before (and was stopped).
    dispatched_at = now_utc() if message.status == OutboxStatus.PENDING else message.dispatched_at
    try:
        # The row is written once, at the end: nothing to flush while composing reads.
        with db.session.no_autoflush:
            email = compose_email(
                message.email_kind, registration, recipient=message.recipient, payload=message.payload
            )
    except SQLAlchemyError:
        raise  # the database, not the e-mail: the relay tries again later
    except Exception as error:  # noqa: BLE001 - a template or data bug: resending will not help
        logger.exception("Could not compose outbox e-mail %s", message.id)
        _fail(message, f"could not compose: {type(error).__name__}: {error}")
        return DeliveryOutcome.FAILED
    email.msgId = outbox_message_id(message.id, message.idempotency_key)
    attempts = message.attempts + 1
    try:
        send_message(email, connection)
    except UnsendableMessage as error:
        # No retry will change it, and the batch goes on without it.
        _fail(message, f"cannot be written out: {error}", attempts=attempts)
        logger.warning("E-mail %s cannot be written out: %s", message.id, error)
        return DeliveryOutcome.FAILED
    except TRANSIENT_ERRORS as error:
        reason = describe_error(error)
        if is_permanent_refusal(error):
            _fail(message, reason, attempts=attempts)
            logger.warning("E-mail %s refused: %s", message.id, reason)
            return DeliveryOutcome.FAILED
        if attempts >= MAX_DELIVERY_ATTEMPTS:
            _fail(message, f"given up after {attempts} attempts: {reason}", attempts=attempts)
            logger.warning("E-mail %s given up: %s", message.id, message.last_error)
            return DeliveryOutcome.FAILED
        write_row_state(
            message,
            status=OutboxStatus.DISPATCHED,
            dispatched_at=dispatched_at,
            attempts=attempts,
            last_error=reason,
        )
        raise
    write_row_state(
        message,
        status=OutboxStatus.SENT,
        dispatched_at=dispatched_at,
        sent_at=now_utc(),
        attempts=attempts,
        last_error=None,
    )
    return DeliveryOutcome.SENT


def _obsolete_reason(message: OutboxMessage, registration: Registration) -> str | None:
    """Why a reminder written by the scan must not leave after all (the person
    cancelled or stopped reminders, the event was cancelled, in the seconds
    between the scan and the send), or None."""
    if message.email_kind != EmailKind.REMINDER:
        return None
    from eventsapp.reminders.scan import reminder_obsolete_reason  # imports this module

    return reminder_obsolete_reason(registration, message.payload or {})


def _fail(message: OutboxMessage, reason: str, *, attempts: int | None = None) -> None:
    state: dict[str, object] = {"status": OutboxStatus.FAILED, "last_error": reason[:2000]}
    if attempts is not None:
        state["attempts"] = attempts
    write_row_state(message, **state)


def mark_failed(message_id: int, reason: str) -> None:
    """Give up an e-mail that is not sent yet (an organiser's or admin's
    decision), keeping ``reason``. On PostgreSQL it waits for a worker
    sending it (the row's lock), then reads it again; on SQLite the caller's
    transaction began with ``prepare_write`` (a rollback here would drop the
    caller's own changes). Writes, never commits."""
    message = db.session.get(OutboxMessage, message_id, with_for_update=True, populate_existing=True)
    if message is not None and message.status != OutboxStatus.SENT:
        _fail(message, reason)


def forget_recipient(registration_id: int) -> int:
    """For the erasure of a registration's personal data: blank the copied
    address on its outbox rows and give up the e-mails not sent yet.
    Returns how many rows were changed. Flushes, never commits."""
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.registration_id == registration_id)
    ).all()
    for row in rows:
        row.recipient = None
        if row.status in (OutboxStatus.PENDING, OutboxStatus.DISPATCHED):
            row.status = OutboxStatus.FAILED
            row.last_error = "registration erased: not sent"
    db.session.flush()
    return len(rows)


def failed_email_count(event_id: int) -> int:
    """How many e-mails to the registrants of event ``event_id`` were given
    up (refused, too many attempts, not composable): the organiser's count."""
    query = (
        sa.select(sa.func.count(OutboxMessage.id))
        .join(Registration, Registration.id == OutboxMessage.registration_id)
        .where(
            Registration.event_id == event_id,
            OutboxMessage.kind == OutboxKind.EMAIL,
            OutboxMessage.status == OutboxStatus.FAILED,
        )
    )
    return db.session.scalar(query) or 0
