"""WSGI module served by gunicorn for the agenda benchmark.

The real app, configured from the environment (``DATABASE_URL``,
``INSTANCE_PATH``) like ``wsgi.py``, plus two extra routes: ``/_bench/uncached/events/``, the agenda view
without its page cache, and ``/_bench/bare``:
a trivial page rendered from a small Jinja template string with no database
access. It goes through the same server, workers, Flask request handling and
Jinja environment as the agenda, so the ratio agenda/bare isolates what the
agenda itself costs (queries, formatting, its templates).

    gunicorn -w 2 -b 127.0.0.1:8000 bench.agenda_app:app
"""

from __future__ import annotations

from flask import render_template_string

from eventsapp import create_app

BARE_PATH = "/_bench/bare"
BARE_TEMPLATE = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{{ title }}</title></head>'
    "<body><p>{{ message }}</p></body></html>"
)

UNCACHED_AGENDA_PATH = "/_bench/uncached/events/"

app = create_app()
# The agenda view without its page cache (Flask-Caching keeps it as
# ``.uncached``): what rendering an agenda page costs, same filters, same code.
app.add_url_rule(
    UNCACHED_AGENDA_PATH,
    endpoint="bench_uncached_agenda",
    view_func=app.view_functions["catalog.agenda"].uncached,
)


@app.get(BARE_PATH)
def bare() -> str:
    """A tiny page: one small template string, no database."""
    return render_template_string(BARE_TEMPLATE, title="eventsapp", message="Bonjour !")
