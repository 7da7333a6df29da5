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
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout_seconds)
    except Exception as error:  # noqa: BLE001 - any failure means "unreachable"
        return type(error).__name__
    return None
