"""Reachability checks of the database and the Celery broker."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from eventsapp.extensions import db


def check_database() -> str | None:
    """None when the database answers, else the error's class name."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "unreachable"
        db.session.rollback()
        return type(error).__name__
    return None


def check_broker(timeout_seconds: float = 2.0) -> str | None:
    """None when the broker accepts a connection, else the error's class name."""
    celery_app = current_app.extensions["celery"]
    try:
        # Bound every wait: a broker that accepts the connection but never
        # answers must not hang the health check.
        with celery_app.connection_for_write(
            connect_timeout=timeout_seconds,
            transport_options={
                "socket_timeout": timeout_seconds,
                "socket_connect_timeout": timeout_seconds,
            },
        ) as connection:
            connection.ensure_connection(max_retries=0, timeout=timeout_seconds)
    except Exception as error:  # noqa: BLE001 - any failure means "unreachable"
        return type(error).__name__
    return None
