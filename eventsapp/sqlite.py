"""SQLite settings: WAL and a busy timeout so the web server and the worker can
share one file, foreign keys on, and transactions that SQLAlchemy really
controls.

Python's sqlite3 module opens transactions on its own terms and breaks
SAVEPOINTs; SQLAlchemy's documented fix is to turn that off and emit BEGIN
ourselves (which is also where ``BEGIN IMMEDIATE`` can be chosen when seats
are counted).
"""

from __future__ import annotations

import sqlalchemy as sa


def configure_sqlite_connections(engine: sa.Engine) -> None:
    """Install the connection and transaction hooks on a SQLite engine."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # eventsapp.locking asks for IMMEDIATE before counting seats.
        immediate = connection.get_execution_options().get("sqlite_begin_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
