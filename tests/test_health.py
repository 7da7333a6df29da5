"""/healthz: 200 when the database and the broker answer, 503 naming the one
that does not, and an answer within a few seconds either way.

"Unreachable" is real: a port nobody listens on (connection refused), or a
local socket that accepts connections and never says a word (a hung server,
or a firewall that lets the handshake through).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from eventsapp import create_app
from eventsapp.config import TestConfig, celery_settings
from eventsapp.extensions import db
from tests.workers import preserved_celery_current_app

#: Nothing listens on port 1 of the loopback: connections are refused at once.
REFUSED_REDIS_URL = "redis://127.0.0.1:1/0"
REFUSED_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"

#: A load balancer's health check typically gives up after 5 s.
DEADLINE_SECONDS = 5.0


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator:
    """``make_app(database_url=None, redis_url=None)``: a separate app with the
    test settings, on a given database and/or with a Redis broker."""
    apps: list[Flask] = []

    def make(database_url: str | None = None, redis_url: str | None = None) -> Flask:
        instance_path = tmp_path / f"instance-{len(apps)}"
        config = TestConfig(instance_path, database_url or f"sqlite:///{instance_path / 'db.sqlite'}")
        if redis_url:
            config.CELERY = {**celery_settings(redis_url, instance_path), "task_always_eager": True}
        app = create_app(config)
        apps.append(app)
        return app

    with preserved_celery_current_app():
        yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def silent_server() -> Iterator[socket.socket]:
    """A local listening socket that the kernel lets clients connect to but
    that never reads nor writes. Closing it resets the pending connections,
    which frees any request still waiting on it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server
    finally:
        server.close()


def timed_get(client: FlaskClient, path: str = "/healthz") -> tuple[TestResponse, float]:
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def get_within_deadline(app: Flask, server: socket.socket) -> tuple[TestResponse | None, float]:
    """GET /healthz in a thread; (None, elapsed) when it has not answered by
    the deadline. ``server`` is then closed so the thread ends within the test."""
    outcome: dict = {}

    def request() -> None:
        outcome["response"] = app.test_client().get("/healthz")

    started = time.monotonic()
    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    thread.join(DEADLINE_SECONDS)
    elapsed = time.monotonic() - started
    response = outcome.get("response")
    server.close()
    thread.join(15)
    assert not thread.is_alive(), "/healthz still blocked after its server went away"
    return response, elapsed


def test_healthz_ok(client: FlaskClient) -> None:
    response, elapsed = timed_get(client)
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "broker": "ok", "status": "ok"}
    assert elapsed < DEADLINE_SECONDS


def test_healthz_names_unreachable_broker(make_app) -> None:
    app = make_app(redis_url=REFUSED_REDIS_URL)
    assert app.extensions["celery"].conf.broker_url == REFUSED_REDIS_URL
    response, elapsed = timed_get(app.test_client())
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"].startswith("unreachable: ")
    assert elapsed < DEADLINE_SECONDS, f"/healthz took {elapsed:.1f} s"


def test_healthz_names_unreachable_database(make_app) -> None:
    app = make_app(database_url=REFUSED_DATABASE_URL)
    response, elapsed = timed_get(app.test_client())
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["broker"] == "ok"
    assert body["database"].startswith("unreachable: ")
    assert elapsed < DEADLINE_SECONDS, f"/healthz took {elapsed:.1f} s"


def test_healthz_names_both_when_both_are_unreachable(make_app) -> None:
    app = make_app(database_url=REFUSED_DATABASE_URL, redis_url=REFUSED_REDIS_URL)
    response, elapsed = timed_get(app.test_client())
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["broker"].startswith("unreachable: ")
    assert body["database"].startswith("unreachable: ")
    assert elapsed < DEADLINE_SECONDS, f"/healthz took {elapsed:.1f} s"


def test_healthz_answers_in_time_when_the_broker_hangs(make_app, silent_server: socket.socket) -> None:
    port = silent_server.getsockname()[1]
    app = make_app(redis_url=f"redis://127.0.0.1:{port}/0")
    response, elapsed = get_within_deadline(app, silent_server)
    assert response is not None, f"/healthz had not answered after {elapsed:.1f} s"
    assert response.status_code == 503
    assert response.get_json()["broker"].startswith("unreachable: ")


def test_healthz_answers_in_time_when_the_database_hangs(make_app, silent_server: socket.socket) -> None:
    port = silent_server.getsockname()[1]
    app = make_app(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing")
    response, elapsed = get_within_deadline(app, silent_server)
    assert response is not None, f"/healthz had not answered after {elapsed:.1f} s"
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("unreachable: ")
