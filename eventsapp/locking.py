"""Lock before you count: one lock per event, taken before seats are counted.

PostgreSQL: ``SELECT … FOR UPDATE`` on the event row (then its sessions, in
id order, so two transactions never wait on each other in a circle).
SQLite: the whole database is locked for writing with ``BEGIN IMMEDIATE``;
a transaction that has only read so far is restarted as IMMEDIATE, because
a deferred one that read before another writer committed cannot take the
write lock later (SQLITE_BUSY_SNAPSHOT) and would fail instead of waiting.
"""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession

from eventsapp.catalog.models import Event, Session
from eventsapp.errors import NotFound
from eventsapp.extensions import db

_WROTE_FLAG = "flushed_writes"


def lock_event(event_id: int) -> Event:
    """The event, its columns read again under the seat lock of the current
    transaction (relationships already loaded, such as its questions, are
    kept: they do not count seats); its sessions locked and refreshed too."""
    session = db.session()  # the Session itself, not its scoped_session proxy
    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        _begin_immediate(session)
    event = session.identity_map.get(session.identity_key(Event, event_id))
    if event is not None:
        try:
            session.refresh(event, attribute_names=_event_columns(), with_for_update=not sqlite)
        except sa.exc.InvalidRequestError:  # deleted meanwhile
            event = None
    else:
        event = session.get(Event, event_id, with_for_update=not sqlite)
    if event is None:
        raise NotFound(str(event_id))
    if not sqlite and not _known_without_sessions(event):
        # In id order, so two transactions never wait on each other in a circle.
        # Rows are loaded (and the loaded sessions refreshed) as they are read.
        session.scalars(
            sa.select(Session)
            .where(Session.event_id == event_id)
            .order_by(Session.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    return event


@cache
def _event_columns() -> list[str]:
    # Computed on first use: inspecting the mapper at import time would
    # configure the mappers before every model is imported.
    return [attribute.key for attribute in sa.inspect(Event).column_attrs]


def _known_without_sessions(event: Event) -> bool:
    return "sessions" not in sa.inspect(event).unloaded and not event.sessions


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


def note_written(session: OrmSession) -> None:
    """Record that ``session`` wrote outside a flush (a Core INSERT): on
    SQLite its transaction now holds the write lock and must not be
    restarted by ``lock_event``."""
    session.info[_WROTE_FLAG] = True


def _after_flush(session: OrmSession, _context: object) -> None:
    note_written(session)


def _after_transaction_end(session: OrmSession, transaction: object) -> None:
    if getattr(transaction, "parent", None) is None:
        session.info.pop(_WROTE_FLAG, None)


def install_lock_hooks() -> None:
    """Track whether a session has flushed writes (once per process)."""
    if sa.event.contains(OrmSession, "after_flush", _after_flush):
        return
    sa.event.listen(OrmSession, "after_flush", _after_flush)
    sa.event.listen(OrmSession, "after_transaction_end", _after_transaction_end)
