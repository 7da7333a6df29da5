"""Celery bound to the Flask app, after the Flask documentation's pattern:
every task runs inside an application context."""

from __future__ import annotations

from pathlib import Path

from celery import Celery, Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app from ``app.config["CELERY"]`` and store it in
    ``app.extensions["celery"]``."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    _ensure_filesystem_broker_folders(celery_app)
    celery_app.autodiscover_tasks(
        [
            "eventsapp.accounts",
            "eventsapp.health",
            "eventsapp.notifications",
            "eventsapp.registrations",
            "eventsapp.reminders",
        ],
        force=True,
    )
    app.extensions["celery"] = celery_app
    return celery_app


def _ensure_filesystem_broker_folders(celery_app: Celery) -> None:
    """kombu's filesystem transport expects its folders to exist."""
    options = celery_app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = celery_app.conf.result_backend or ""
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    schedule = celery_app.conf.beat_schedule_filename
    if schedule:
        Path(schedule).parent.mkdir(parents=True, exist_ok=True)
