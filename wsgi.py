"""WSGI entry point: ``gunicorn wsgi:app``."""

from eventsapp import create_app

app = create_app()
