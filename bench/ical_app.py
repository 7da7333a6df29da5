"""WSGI module served by gunicorn for the iCal benchmark.

The real app, configured from the environment (``DATABASE_URL``,
``INSTANCE_PATH``) like ``wsgi.py``, plus ``/_bench/bare``: a bare Flask
endpoint returning a short plain-text body, no template, no database. The
ratio of 304 answers per second to bare answers per second isolates what a
conditional feed request costs (routing the feed, parsing its filters, one
aggregate query, the validators).

    gunicorn -w 2 -b 127.0.0.1:8000 bench.ical_app:app
"""

from __future__ import annotations

from eventsapp import create_app

BARE_PATH = "/_bench/bare"

app = create_app()


@app.get(BARE_PATH)
def bare() -> tuple[str, int, dict[str, str]]:
    """The cheapest answer the stack gives: a few bytes of text."""
    return "Bonjour !\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
