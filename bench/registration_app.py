"""WSGI factory served by gunicorn for the registration benchmark.

``build_app()`` is the real app, configured from the environment
(``DATABASE_URL``, ``INSTANCE_PATH``) like ``wsgi.py`` but with CSRF and rate
limits off (the load generator neither fetches a token nor comes from many
addresses), plus three routes of the benchmark's own:

* ``GET /_bench/ready``: "ok", no database (gunicorn is up);
* ``POST /_bench/insert``: one ``INSERT`` of the posted e-mail into
  ``bench_inserts``, committed (the baseline of uncontended sign-ups);
* ``POST /_bench/hot-update``: one conditional update of a hot row,
  ``UPDATE bench_counter SET taken = taken + 1 WHERE id = 1 AND taken < capacity``,
  committed (the baseline of the rush: the cheapest "take a seat if one is
  left" the database can do under contention).

Both bare routes use the app's own Flask-SQLAlchemy session and engine (same
pool, same ``pool_pre_ping``), so the ratio isolates what the sign-up itself
costs. No module-level app (house rule): gunicorn calls the factory.

    gunicorn -w 5 -b 127.0.0.1:8000 'bench.registration_app:build_app()'
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, request

from eventsapp import create_app
from eventsapp.config import Config
from eventsapp.extensions import db

READY_PATH = "/_bench/ready"
INSERT_PATH = "/_bench/insert"
HOT_UPDATE_PATH = "/_bench/hot-update"

INSERT_SQL = sa.text("INSERT INTO bench_inserts (email) VALUES (:email)")
HOT_UPDATE_SQL = sa.text("UPDATE bench_counter SET taken = taken + 1 WHERE id = 1 AND taken < capacity")


def ready() -> str:
    """gunicorn answers: no database, no template."""
    return "ok"


def bare_insert() -> tuple[str, int]:
    """One INSERT, committed: 204."""
    db.session.execute(INSERT_SQL, {"email": request.form.get("email", "")})
    db.session.commit()
    return "", 204


def hot_update() -> tuple[str, int]:
    """One conditional UPDATE of the hot row, committed: "taken" or "full"."""
    result = db.session.execute(HOT_UPDATE_SQL)
    db.session.commit()
    return ("taken" if result.rowcount else "full"), 200


def build_app() -> Flask:
    """The real app (CSRF and rate limits off) with the benchmark's routes."""
    config = Config()
    config.WTF_CSRF_ENABLED = False
    config.RATELIMIT_ENABLED = False
    app = create_app(config)
    app.add_url_rule(READY_PATH, endpoint="bench_ready", view_func=ready, methods=["GET"])
    app.add_url_rule(INSERT_PATH, endpoint="bench_insert", view_func=bare_insert, methods=["POST"])
    app.add_url_rule(HOT_UPDATE_PATH, endpoint="bench_hot_update", view_func=hot_update, methods=["POST"])
    return app
