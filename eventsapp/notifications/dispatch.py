"""Handing outbox rows to Celery once their transaction has committed.

How it works
------------
1. ``after_flush`` notes the id and kind of every new ``OutboxMessage`` in
   ``session.info``, with the savepoint (if any) it was flushed in; rows
   inserted with Core (``service._insert``) are noted by
   ``note_outbox_message``.
2. A rolled-back savepoint forgets the ids flushed inside it; a rolled-back
   transaction forgets them all: nothing leaves for a change that was undone.
3. ``after_commit`` of the *outermost* transaction (a released savepoint also
   fires it, and is ignored) hands the rows to Celery. It never uses the
   committing session (which can emit no SQL in that hook):
   - e-mails are published at once (``publish_emails``), unclaimed: the
     sending task locks its row and skips it once sent, so a second
     publication is harmless, and a sign-up does not pay for a second
     connection. The row stays pending until a worker takes it. Many
     e-mails committed together (a reminder scan) go in chunks of
     ``MAIL_BATCH_SIZE`` to ``send_email_batch``, which sends a chunk on one
     SMTP connection; a single one goes to ``send_email``;
   - tasks go through ``dispatch_messages(ids)``, on a NEW connection:
     a. *claim*: in a short transaction of its own, lock the rows still
        pending, mark them dispatched and give the task's dedupe key back;
     b. *publish* the named task with the row's payload;
     c. a row whose publication failed (broker down) goes back to pending
        (its key stays given back: at worst a task runs twice, and tasks
        are idempotent).
     On SQLite, which has no row locks, the claim begins IMMEDIATE: it waits
     for the write lock of a transaction in progress, as it would for the
     row lock on PostgreSQL.
   Errors are logged, never raised: the commit has already happened. The
   relay (``relay_stale_messages``, run by beat every minute) claims and
   publishes what is still pending after 2 minutes (an e-mail whose
   publication failed, or still queued behind a backlog: it is then marked
   dispatched, so published at most twice), and e-mails dispatched but not
   sent after 15 minutes.

Claiming before publishing (rather than marking after) matters for keyed
tasks: a transaction that found the key pending and skipped its own enqueue
holds that row's lock, so the claim waits for it to commit, and the task
starts only after that transaction's changes are visible.

Eager Celery (tests): publishing runs the task inline, inside this hook. That
works because the commit (and any claim) is over (no lock held) and the task
runs in an app context of its own, hence a Flask-SQLAlchemy session and connection of
its own that see the committed rows.

A session bound to a connection that is still inside an outer transaction
(the test fixture that rolls everything back) has not really committed: its
rows are left pending (the relay would send them if the outer transaction
ever committed), and tests send them with ``service.deliver_email``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from celery import Celery
from flask import current_app, has_app_context
from sqlalchemy.orm import Session, SessionTransaction

from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.notifications.models import OutboxKind, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

SEND_EMAIL_TASK = "notifications.send_email"
SEND_EMAIL_BATCH_TASK = "notifications.send_email_batch"
DEFAULT_MAIL_BATCH_SIZE = 50
PENDING_GRACE = timedelta(minutes=2)
UNSENT_GRACE = timedelta(minutes=15)
# E-mails go out in batches: one relay run can hand over a large backlog.
RELAY_BATCH_SIZE = 2000
_PENDING = "outbox_pending_ids"

_table = OutboxMessage.__table__


@dataclass(frozen=True)
class _Noted:
    message_id: int
    kind: OutboxKind
    savepoint: SessionTransaction | None


# Session hooks -------------------------------------------------------------


def note_outbox_message(session: Session, message_id: int, kind: OutboxKind) -> None:
    """Remember a row inserted without the ORM, to dispatch it after the commit."""
    noted = _Noted(message_id, OutboxKind(kind), session.get_nested_transaction())
    session.info.setdefault(_PENDING, []).append(noted)


def _after_flush(session: Session, _flush_context: object) -> None:
    new = [obj for obj in session.new if isinstance(obj, OutboxMessage)]
    if new:
        savepoint = session.get_nested_transaction()
        session.info.setdefault(_PENDING, []).extend(_Noted(obj.id, obj.kind, savepoint) for obj in new)


def _inside(savepoint: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is ended:
            return True
        savepoint = savepoint.parent
    return False


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    noted = session.info.get(_PENDING)
    if not noted:
        return
    if previous.parent is None:
        session.info.pop(_PENDING, None)
    elif previous.nested:
        session.info[_PENDING] = [item for item in noted if not _inside(item.savepoint, previous)]


def _inside_outer_transaction(session: Session) -> bool:
    bind = session.bind
    return isinstance(bind, sa.Connection) and bind.in_transaction()


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: nothing is committed yet
    noted = session.info.pop(_PENDING, None)
    if not noted:
        return
    ids = sorted({item.message_id for item in noted})
    email_ids = sorted({item.message_id for item in noted if item.kind == OutboxKind.EMAIL})
    if _inside_outer_transaction(session):
        logger.debug("Outbox rows %s committed inside an outer transaction: left pending", ids)
        return
    if not has_app_context():
        logger.warning("Outbox rows %s committed outside an app context: left to the relay", ids)
        return
    publish_emails(email_ids)
    dispatch_messages(sorted(set(ids) - set(email_ids)))


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def install_dispatch_hooks() -> None:
    """Listen on every ORM session (once per process)."""
    if sa.event.contains(Session, "after_commit", _after_commit):
        return
    sa.event.listen(Session, "after_flush", _after_flush)
    sa.event.listen(Session, "after_soft_rollback", _after_soft_rollback)
    sa.event.listen(Session, "after_commit", _after_commit)
    sa.event.listen(Session, "after_transaction_end", _after_transaction_end)


# Dispatching ---------------------------------------------------------------


def dispatch_messages(message_ids: Sequence[int]) -> int:
    """Publish the outbox rows ``message_ids`` that are still pending (after
    their transaction committed). Returns how many were published; never
    raises."""
    if not message_ids:
        return 0
    condition = sa.and_(_table.c.id.in_(list(message_ids)), _table.c.status == OutboxStatus.PENDING)
    return _dispatch(condition, skip_locked=False)


def publish_emails(message_ids: Sequence[int]) -> int:
    """Hand the just-committed e-mail rows ``message_ids`` to Celery, without
    claiming them first: sending is idempotent (the task locks the row and
    skips it once sent), so an e-mail published twice is sent once, and the
    claim's two statements on a second connection would double the cost of
    a sign-up. A row whose publication failed stays pending, with the
    reason, for the relay. Returns how many were published; never raises."""
    if not message_ids:
        return 0
    failed = _publish_email_chunks(current_app.extensions["celery"], list(message_ids))
    if failed:
        _release(failed)
    return len(message_ids) - len(failed)


def email_chunks(message_ids: Sequence[int]) -> list[list[int]]:
    """``message_ids`` in chunks of ``MAIL_BATCH_SIZE``, each one task."""
    size = max(int(current_app.config.get("MAIL_BATCH_SIZE") or DEFAULT_MAIL_BATCH_SIZE), 1)
    return [list(message_ids[start : start + size]) for start in range(0, len(message_ids), size)]


def _publish_email_chunks(celery: Celery, message_ids: list[int]) -> dict[int, str]:
    """Publish the e-mails in chunks; returns the ids not handed over, with
    the reason. After one chunk fails the broker is taken as down and the
    rest are not tried: each try can cost the publish retry policy and a
    connection timeout, and the relay publishes them all later anyway."""
    failed: dict[int, str] = {}
    for chunk in email_chunks(message_ids):
        if failed:
            failed.update(dict.fromkeys(chunk, next(iter(failed.values()))))
            continue
        try:
            _publish_email(celery, chunk)
        except Exception as error:  # noqa: BLE001 - broker down: the relay retries
            logger.exception("Could not hand outbox e-mail(s) %s to Celery", _describe_ids(chunk))
            failed.update(dict.fromkeys(chunk, f"{type(error).__name__}: {error}"[:2000]))
    return failed


def _describe_ids(ids: Sequence[int]) -> str:
    return str(ids[0]) if len(ids) == 1 else f"{ids[0]}…{ids[-1]} ({len(ids)})"


def _publish_email(celery: Celery, message_ids: int | Sequence[int]) -> None:
    """One task: ``send_email`` for a single e-mail, ``send_email_batch``
    (one SMTP connection) for several."""
    ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
    if len(ids) == 1:
        celery.tasks[SEND_EMAIL_TASK].apply_async(args=[ids[0]])
    else:
        celery.tasks[SEND_EMAIL_BATCH_TASK].apply_async(args=[ids])


def relay_condition(now: datetime) -> sa.ColumnElement[bool]:
    """Rows the relay publishes again: pending for more than 2 minutes, and
    e-mails dispatched more than 15 minutes ago but not sent (not given up)."""
    return sa.or_(
        sa.and_(_table.c.status == OutboxStatus.PENDING, _table.c.created_at < now - PENDING_GRACE),
        sa.and_(
            _table.c.kind == OutboxKind.EMAIL,
            _table.c.status == OutboxStatus.DISPATCHED,
            _table.c.dispatched_at < now - UNSENT_GRACE,
        ),
    )


def relay_stale_messages(now: datetime | None = None, limit: int = RELAY_BATCH_SIZE) -> int:
    """Publish again what the after-commit dispatch did not get through
    (rows locked by someone else are skipped). Returns how many."""
    condition = relay_condition(now or now_utc())
    # A plain read first: most runs find nothing, and need no write lock.
    with db.engine.connect() as connection:
        if connection.execute(sa.select(_table.c.id).where(condition).limit(1)).first() is None:
            return 0
    return _dispatch(condition, skip_locked=True, limit=limit)


@contextmanager
def _own_transaction() -> Iterator[sa.Connection]:
    """A short transaction on a connection of its own; on SQLite it begins
    IMMEDIATE, waiting for the write lock rather than failing to upgrade a
    read snapshot another writer has made stale."""
    with db.engine.connect() as connection:
        connection.execution_options(sqlite_begin_immediate=True)
        with connection.begin():
            yield connection


def _dispatch(condition: sa.ColumnElement[bool], *, skip_locked: bool, limit: int | None = None) -> int:
    try:
        claimed = _claim(condition, skip_locked=skip_locked, limit=limit)
    except Exception:  # noqa: BLE001 - after a commit: log, the relay retries
        logger.exception("Could not claim outbox rows for dispatch")
        return 0
    celery = current_app.extensions["celery"]
    # E-mails in batches (one SMTP connection each), as after a commit.
    failed = _publish_email_chunks(celery, [row.id for row in claimed if row.kind == OutboxKind.EMAIL])
    for row in claimed:
        if row.kind == OutboxKind.EMAIL:
            continue
        try:
            _publish(celery, row)
        except Exception as error:  # noqa: BLE001 - broker down: the relay retries
            logger.exception("Could not hand outbox row %s to Celery", row.id)
            failed[row.id] = f"{type(error).__name__}: {error}"[:2000]
    if failed:
        _release(failed)
    return len(claimed) - len(failed)


def _released_key(row: sa.Row) -> str:
    """A dispatched task's key, freed for the next enqueue of the same key."""
    key = row.idempotency_key
    suffix = f"#{row.id}"
    if row.kind == OutboxKind.TASK and not key.endswith(suffix):
        return f"{key[: 255 - len(suffix)]}{suffix}"
    return key


def _claim(condition: sa.ColumnElement[bool], *, skip_locked: bool, limit: int | None) -> list[sa.Row]:
    query = (
        sa.select(_table.c.id, _table.c.kind, _table.c.task_name, _table.c.payload, _table.c.idempotency_key)
        .where(condition)
        .order_by(_table.c.created_at, _table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=skip_locked)
    )
    with _own_transaction() as connection:
        rows = connection.execute(query).all()
        if rows:
            connection.execute(
                sa.update(_table)
                .where(_table.c.id == sa.bindparam("claimed_id"))
                .values(
                    status=OutboxStatus.DISPATCHED,
                    dispatched_at=now_utc(),
                    idempotency_key=sa.bindparam("released_key"),
                ),
                [{"claimed_id": row.id, "released_key": _released_key(row)} for row in rows],
            )
    return rows


def _publish(celery: Celery, row: sa.Row) -> None:
    if row.kind == OutboxKind.EMAIL:
        _publish_email(celery, row.id)
        return
    name, kwargs = row.task_name, dict(row.payload or {})
    task = celery.tasks.get(name)
    if task is not None:  # honours task_always_eager, unlike send_task
        task.apply_async(kwargs=kwargs)
    else:
        celery.send_task(name, kwargs=kwargs)


def _release(failed: dict[int, str]) -> None:
    """Rows not handed over are (or go back to) pending, with the reason,
    for the relay."""
    try:
        with _own_transaction() as connection:
            for message_id, reason in failed.items():
                connection.execute(
                    sa.update(_table)
                    .where(
                        _table.c.id == message_id,
                        _table.c.status.in_([OutboxStatus.PENDING, OutboxStatus.DISPATCHED]),
                    )
                    .values(status=OutboxStatus.PENDING, last_error=f"not dispatched: {reason}")
                )
    except Exception:  # noqa: BLE001 - the relay will find them as stale dispatched e-mails
        logger.exception("Could not put outbox rows %s back to pending", sorted(failed))
