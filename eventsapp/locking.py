"""Lock before you count: one lock per event, taken before seats are counted.

PostgreSQL: ``SELECT … FOR UPDATE`` on the event row (then its sessions, in
id order, so two transactions never wait on each other in a circle).
SQLite: the whole database is locked for writing with ``BEGIN IMMEDIATE``;
a transaction that has only read so far is restarted as IMMEDIATE, because
a deferred one that read before another writer committed cannot take the
write lock later (SQLITE_BUSY_SNAPSHOT) and would fail instead of waiting.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession

from eventsapp.catalog.models import Event, Session
from eventsapp.errors import NotFound
from eventsapp.extensions import db

_WROTE_FLAG = "flushed_writes"


def lock_event(event_id: int) -> Event:
    """The event, reloaded under the seat lock of the current transaction."""
    session = db.session()  # the Session itself, not its scoped_session proxy
    if db.engine.dialect.name == "sqlite":
        _begin_immediate(session)
        statement = sa.select(Event).where(Event.id == event_id)
    else:
        statement = sa.select(Event).where(Event.id == event_id).with_for_update()
    event = session.scalars(statement.execution_options(populate_existing=True)).one_or_none()
    if event is None:
        raise NotFound(str(event_id))
    if db.engine.dialect.name != "sqlite":
        session.execute(
            sa.select(Session.id).where(Session.event_id == event_id).order_by(Session.id).with_for_update()
        )
    return event


def prepare_write() -> None:
    """Call before a write that does not count seats (a cancellation, a
    confirmation). PostgreSQL needs nothing; on SQLite the transaction must
    take the write lock before it reads, or a concurrent writer makes it fail
    with "database is locked" instead of waiting its turn."""
    if db.engine.dialect.name == "sqlite":
        _begin_immediate(db.session())


def _begin_immediate(session: OrmSession) -> None:
    if isinstance(session.bind, sa.Connection):
        # Joined to a transaction someone else began (the test suite's
        # rolled-back transaction): that owner decides how it began.
        return
    if session.info.get(_WROTE_FLAG):
        return  # a flushed write already holds SQLite's write lock
    if session.in_transaction():
        session.rollback()  # nothing written yet: only a read snapshot is dropped
    session.connection(execution_options={"sqlite_begin_immediate": True})


def _after_flush(session: OrmSession, _context: object) -> None:
    session.info[_WROTE_FLAG] = True


def _after_transaction_end(session: OrmSession, transaction: object) -> None:
    if getattr(transaction, "parent", None) is None:
        session.info.pop(_WROTE_FLAG, None)


def install_lock_hooks() -> None:
    """Track whether a session has flushed writes (once per process)."""
    if sa.event.contains(OrmSession, "after_flush", _after_flush):
        return
    sa.event.listen(OrmSession, "after_flush", _after_flush)
    sa.event.listen(OrmSession, "after_transaction_end", _after_transaction_end)
