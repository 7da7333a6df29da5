"""Celery entry point: ``celery -A celery_worker:celery worker`` (and ``beat``)."""

from eventsapp import create_app

app = create_app()
celery = app.extensions["celery"]
