"""SQLite settings for the embedded mode: WAL and a busy timeout so the web
server and the worker can share one file."""

from __future__ import annotations

import sqlalchemy as sa


def configure_sqlite_connections(engine: sa.Engine) -> None:
    """Turn on foreign keys, WAL and a busy timeout on every SQLite connection."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.close()
