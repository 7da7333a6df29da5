"""A task that proves a worker runs tasks inside the Flask app context."""

from __future__ import annotations

import sqlalchemy as sa
from celery import shared_task
from flask import current_app

from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation


@shared_task(name="health.describe_worker_context", ignore_result=False)
def describe_worker_context() -> dict:
    """What the worker sees: the app's name, its database and how many
    organisations are in it (a query that needs the app context)."""
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    return {
        "app": current_app.name,
        "database": db.engine.dialect.name,
        "organisations": count,
    }
