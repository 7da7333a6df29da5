"""Loading and locking outbox e-mails for delivery (``service.deliver_email``).

A row is sent under its lock (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, an IMMEDIATE transaction on SQLite), so two workers never send
it at once. ``lock_message`` reloads the row with the registration, its
workshops, event and organiser; a batch (``tasks.send_email_batch``) loads
all of that once (``preload_emails``), keeps it across its per-message
commits (``objects_kept_across_commits``) on one connection
(``one_database_connection``), and locks each row with a light statement
(``lock_preloaded_message``) that reloads only what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from eventsapp.catalog.models import Event
from eventsapp.extensions import db
from eventsapp.locking import note_written
from eventsapp.notifications.models import OutboxMessage
from eventsapp.registrations.models import Registration

logger = logging.getLogger(__name__)
_table = OutboxMessage.__table__


def _begin_for_lock(session: sa.orm.Session) -> None:
    """SQLite has no row locks: a transaction of our own begins IMMEDIATE
    instead (its write lock serialises two workers sending the same row, and
    the final write cannot fail on a stale read snapshot)."""
    if (
        db.engine.dialect.name == "sqlite"
        and not isinstance(session.bind, sa.Connection)  # not joined to someone else's transaction
        and not session.in_transaction()
    ):
        session.connection(execution_options={"sqlite_begin_immediate": True})


def lock_message(message_id: int) -> OutboxMessage | None:
    """The row, locked; None if missing or locked by another worker (which is
    sending it)."""
    session = db.session()
    _begin_for_lock(session)
    # The registration, its workshops, event and organiser come in the same
    # statement (the e-mail needs them), refreshed: a batch's earlier rows
    # may have loaded the same event before a change. (A refreshed
    # registration forgets its lazily loaded workshops: joined here, they
    # cost no statement of their own.)
    to_registration = joinedload(OutboxMessage.registration)
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .options(
            to_registration.joinedload(Registration.event).joinedload(Event.organisation),
            to_registration.joinedload(Registration.sessions),
        )
        .with_for_update(skip_locked=True, of=OutboxMessage)
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).unique().first()


def preload_emails(message_ids: Sequence[int]) -> None:
    """Load, without locking, what composing a batch's e-mails reads: the
    rows with their registrations, workshops, events and organisers, in two
    statements for the whole batch, then commit (the session must keep them:
    call inside ``objects_kept_across_commits``). ``deliver_email(...,
    preloaded=True)`` then locks each row with a light statement that reads
    again only what decides whether it leaves."""
    to_registration = joinedload(OutboxMessage.registration)
    db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.id.in_(list(message_ids)))
        .options(
            to_registration.joinedload(Registration.event).joinedload(Event.organisation),
            to_registration.selectinload(Registration.sessions),
        )
    ).unique().all()
    db.session.commit()


_registrations = Registration.__table__
_events = Event.__table__
# Under the row lock, what may have changed since a batch was preloaded and
# decides whether its e-mail leaves: the row's own state (another worker,
# an erasure, an organiser giving it up), the person's and the event's.
_FRESH_STATE = (
    sa.select(
        _table.c.status,
        _table.c.attempts,
        _table.c.recipient,
        _table.c.last_error,
        _table.c.dispatched_at,
        _table.c.sent_at,
        _registrations.c.id.label("registration_id"),
        _registrations.c.status.label("registration_status"),
        _registrations.c.anonymised_at,
        _registrations.c.reminders_stopped_at,
        _registrations.c.updated_at.label("registration_updated_at"),
        _events.c.status.label("event_status"),
        _events.c.updated_at.label("event_updated_at"),
    )
    .select_from(
        _table.outerjoin(_registrations, _registrations.c.id == _table.c.registration_id).outerjoin(
            _events, _events.c.id == _registrations.c.event_id
        )
    )
    .with_for_update(skip_locked=True, of=_table)
    # Built once: SQLAlchemy then computes the statement's cache key once.
    .where(_table.c.id == sa.bindparam("message_id"))
)
# The delivery's outcome, in one statement built once (see above).
_WRITE_STATE = (
    _table.update()
    .where(_table.c.id == sa.bindparam("message_id"))
    .values(
        status=sa.bindparam("new_status"),
        attempts=sa.bindparam("new_attempts"),
        last_error=sa.bindparam("new_last_error"),
        dispatched_at=sa.bindparam("new_dispatched_at"),
        sent_at=sa.bindparam("new_sent_at"),
    )
)
_STATE_COLUMNS = ("status", "attempts", "last_error", "dispatched_at", "sent_at")


def lock_preloaded_message(message_id: int) -> OutboxMessage | None:
    """``lock_message`` for a row ``preload_emails`` loaded: one Core
    statement locks the row and reads its state and the statuses that
    decide, set on the loaded objects as their committed values. When the
    person or the event changed since the batch was loaded (their
    ``updated_at``: a new title, place, time, seats, workshops…), or
    anything is unexpected (not preloaded, the registration gone or moved),
    ``lock_message`` reloads it all."""
    session = db.session()
    # First: on SQLite, reading an expired attribute below would begin a
    # plain transaction, not the IMMEDIATE one that stands for the lock.
    _begin_for_lock(session)
    message = session.identity_map.get(session.identity_key(OutboxMessage, message_id))
    registration = message.registration if message is not None else None
    if message is None or registration is None:
        return lock_message(message_id)
    # On the session's connection: a Core statement needs none of the ORM's work.
    row = session.connection().execute(_FRESH_STATE, {"message_id": message_id}).first()
    if row is None:
        return None
    if (
        row.registration_id != registration.id
        or row.registration_updated_at != registration.updated_at
        or row.event_updated_at != registration.event.updated_at
    ):
        return lock_message(message_id)
    _refresh(message, row, ("status", "attempts", "recipient", "last_error", "dispatched_at", "sent_at"))
    _refresh(registration, row, ("anonymised_at", "reminders_stopped_at"))
    _refresh(registration, row, ("status",), prefix="registration_")
    _refresh(registration.event, row, ("status",), prefix="event_")
    return message


def _refresh(instance: object, row: sa.Row, names: Sequence[str], prefix: str = "") -> None:
    """Set what changed in ``row`` (its columns ``prefix + name``) on
    ``instance`` as committed values; usually nothing did."""
    state = instance.__dict__
    for name in names:
        value = getattr(row, prefix + name)
        if name not in state or state[name] != value:
            set_committed_value(instance, name, value)


def write_row_state(message: OutboxMessage, **state: object) -> None:
    """Write the locked row's new delivery state (``status``, ``attempts``,
    ``last_error``, ``dispatched_at``, ``sent_at``: those given, the others
    as loaded) with one UPDATE, and set them on ``message`` as committed
    values. The ORM's flush of the same change cost a worker about a
    seventh of its CPU time per e-mail (bench/reminders.py)."""
    unknown = set(state) - set(_STATE_COLUMNS)
    if unknown:
        raise TypeError(f"not a delivery state column: {', '.join(sorted(unknown))}")
    for name, value in state.items():
        set_committed_value(message, name, value)
    values = {f"new_{name}": getattr(message, name) for name in _STATE_COLUMNS}
    session = db.session()
    session.connection().execute(_WRITE_STATE, {"message_id": message.id, **values})
    # What a flush would have noted: on SQLite, a later prepare_write() in
    # this transaction must not start it again and lose this write.
    note_written(session)


@contextmanager
def one_database_connection() -> Iterator[None]:
    """For a batch committed e-mail by e-mail on PostgreSQL: the session
    works on ONE pooled connection for the whole batch, where each commit
    gave its connection back to the pool and the next statement took it
    again, with the ``SELECT 1`` of ``pool_pre_ping``: a round trip per
    e-mail. The session in the app context is replaced by one bound to the
    connection (the test suite's way of joining a connection), and put back
    at the end. On SQLite (its IMMEDIATE transactions begin on the engine's
    connections) or on a session already bound to a connection (tests),
    nothing changes.

    Without a checkout per e-mail there is no pre-ping either: a connection
    lost mid-batch (PostgreSQL restarted) raises ``is_connection_lost``
    errors, and ``send_email_batch`` retries the rest on a new one."""
    current = db.session()
    if db.engine.dialect.name != "postgresql" or isinstance(current.bind, sa.Connection):
        yield
        return
    with db.engine.connect() as connection:
        session = sa.orm.Session(bind=connection)
        db.session.registry.set(session)
        try:
            yield
        finally:
            # The app's session first: closing a session whose connection
            # died can raise, and must not hide the error on its way out.
            db.session.registry.set(current)
            try:
                session.close()
            except SQLAlchemyError:
                logger.warning("Could not close a batch's database session", exc_info=True)


def is_connection_lost(error: BaseException) -> bool:
    """True for a database error that invalidated the connection (the
    server restarted, the connection was cut): the work can go on on
    another one."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


@contextmanager
def objects_kept_across_commits() -> Iterator[None]:
    """For a batch of e-mails committed one by one: what the session loads
    stays loaded (its commits do not expire it, and it is held here, the
    session's identity map holding objects only weakly), so what the batch's
    e-mails share (a reminder's rule, looked up by id) is read once per
    batch, not once per e-mail. Under each row's lock, ``deliver_email``
    reads again the row, the statuses that decide, and whether the person
    or the event changed (then it reloads them): only a reminder rule's
    texts, a workshop's title or the organiser's name may be as old as the
    batch (at most its time limit)."""
    session = db.session()
    previous = session.expire_on_commit
    loaded: list[object] = []

    def hold(_session: sa.orm.Session, instance: object) -> None:
        loaded.append(instance)

    session.expire_on_commit = False
    sa.event.listen(session, "loaded_as_persistent", hold)
    try:
        yield
    finally:
        sa.event.remove(session, "loaded_as_persistent", hold)
        session.expire_on_commit = previous
