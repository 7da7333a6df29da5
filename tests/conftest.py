"""Test fixtures: an app per database backend for the session, a transaction
rolled back after each test, and a test client sharing that transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from celery import _state as celery_state
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from eventsapp import create_app
from eventsapp.config import TestConfig
from eventsapp.extensions import db
from tests.databases import drop_run_databases, postgres_url, reset_postgres_schema

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def _reset_celery_join_flag() -> Iterator[None]:
    """Eager ``apply_async`` sets Celery's process-wide "a task is running,
    joining would block" flag and puts the previous value back afterwards;
    tasks applied eagerly from several threads at once (the concurrency
    tests) can leave it set, and a later ``result.get()`` then refuses to
    wait for a real worker. Put it back after every test."""
    yield
    celery_state._set_task_join_will_block(False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """This run's PostgreSQL databases go with it (see tests/databases.py)."""
    drop_run_databases()


def build_test_app(backend: str, instance_path: Path, **overrides: object) -> Flask:
    """A migrated app on ``backend``, its schema built by Alembic; ``overrides``
    replace settings of the test configuration."""
    if backend == "sqlite":
        url = f"sqlite:///{instance_path / 'test.sqlite'}"
    else:
        url = postgres_url()
        reset_postgres_schema(url)
    config = TestConfig(instance_path, url)
    for name, value in overrides.items():
        setattr(config, name, value)
    app = create_app(config)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


@pytest.fixture(scope="session", params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = build_test_app(request.param, tmp_path_factory.mktemp(f"instance-{request.param}"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator[scoped_session]:
    """Everything a test (and the requests it makes) writes is rolled back."""
    # Each app made its own Celery app the default; shared tasks must use this one.
    app.extensions["celery"].set_current()
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        original_session = db.session
        db.session = session
        try:
            yield session
        finally:
            session.remove()
            if transaction.is_active:
                transaction.rollback()
            connection.close()
            db.session = original_session


@pytest.fixture
def client(app: Flask, db_session: scoped_session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def backend(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


class QueryCounter:
    """Counts the SQL statements sent while it is active."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, _conn, _cursor, statement, _params, _context, _executemany) -> None:  # noqa: ANN001
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask, db_session: scoped_session):  # noqa: ANN201
    """``with count_queries() as counter: …`` then ``counter.count``."""
    return lambda: QueryCounter(db.engine)
