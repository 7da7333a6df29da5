"""Notifications: e-mails and tasks written to the outbox, and e-mail delivery.

The registration service calls ``enqueue_email`` / ``enqueue_task`` inside its
transaction; they flush a row and never commit. Once the caller commits,
``notifications.dispatch`` hands the new rows to Celery. ``deliver_email`` is
what the ``notifications.send_email`` task does with one row: send it once.

In tests that run inside an outer transaction that is rolled back (the
``db_session`` fixture), nothing is dispatched by the commit; call
``deliver_email(message.id)`` to send an enqueued e-mail there.
"""

from __future__ import annotations

import enum
import json
import logging
import smtplib
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.locking import note_written
from eventsapp.notifications.dispatch import note_outbox_message
from eventsapp.notifications.mailer import compose_email, send_message
from eventsapp.notifications.models import EmailKind, OutboxKind, OutboxMessage, OutboxStatus
from eventsapp.registrations.models import Registration

__all__ = [
    "MAX_DELIVERY_ATTEMPTS",
    "DeliveryOutcome",
    "EmailKind",
    "deliver_email",
    "enqueue_email",
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


def _lock_message(message_id: int) -> OutboxMessage | None:
    """The row, locked; None if missing or locked by another worker (which is
    sending it). SQLite has no row locks: a transaction of our own begins
    IMMEDIATE instead (its write lock serialises two workers sending the
    same row, and the final write cannot fail on a stale read snapshot)."""
    session = db.session()
    if (
        db.engine.dialect.name == "sqlite"
        and not isinstance(session.bind, sa.Connection)  # not joined to someone else's transaction
        and not session.in_transaction()
    ):
        session.connection(execution_options={"sqlite_begin_immediate": True})
    query = sa.select(OutboxMessage).where(OutboxMessage.id == message_id)
    return session.scalars(query.with_for_update(skip_locked=True)).first()


def deliver_email(message_id: int) -> DeliveryOutcome:
    """Send the outbox e-mail ``message_id`` now unless it was already sent
    or given up, and record the outcome. Flushes, never commits.

    A transient error (``TRANSIENT_ERRORS``) is recorded on the row and
    raised again, for the task to retry; a permanent refusal marks the row
    failed and is not raised.
    """
    message = _lock_message(message_id)
    if message is None:
        return DeliveryOutcome.SKIPPED
    if message.kind != OutboxKind.EMAIL or message.status in (OutboxStatus.SENT, OutboxStatus.FAILED):
        return DeliveryOutcome.ALREADY_DONE
    registration = message.registration
    if registration is None or registration.anonymised_at is not None or not message.recipient:
        _fail(message, "registration erased or deleted: not sent")
        return DeliveryOutcome.FAILED
    if message.status == OutboxStatus.PENDING:
        message.status = OutboxStatus.DISPATCHED
        message.dispatched_at = now_utc()
    try:
        email = compose_email(message.email_kind, registration, recipient=message.recipient)
    except SQLAlchemyError:
        raise  # the database, not the e-mail: the relay tries again later
    except Exception as error:  # noqa: BLE001 - a template or data bug: resending will not help
        logger.exception("Could not compose outbox e-mail %s", message.id)
        _fail(message, f"could not compose: {type(error).__name__}: {error}")
        return DeliveryOutcome.FAILED
    message.attempts += 1
    try:
        send_message(email)
    except TRANSIENT_ERRORS as error:
        message.last_error = describe_error(error)
        if is_permanent_refusal(error):
            _fail(message, message.last_error)
            logger.warning("E-mail %s refused: %s", message.id, message.last_error)
            return DeliveryOutcome.FAILED
        if message.attempts >= MAX_DELIVERY_ATTEMPTS:
            _fail(message, f"given up after {message.attempts} attempts: {message.last_error}")
        db.session.flush()
        raise
    message.status = OutboxStatus.SENT
    message.sent_at = now_utc()
    message.last_error = None
    db.session.flush()
    return DeliveryOutcome.SENT


def _fail(message: OutboxMessage, reason: str) -> None:
    message.status = OutboxStatus.FAILED
    message.last_error = reason[:2000]
    db.session.flush()


def mark_failed(message_id: int, reason: str) -> None:
    """Give up an e-mail that is not sent yet (an organiser's or admin's
    decision), keeping ``reason``. Flushes, never commits."""
    message = db.session.get(OutboxMessage, message_id)
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
