"""Which databases the suite runs on: SQLite always, PostgreSQL when it answers
(and under CI=true its absence is a failure, not a skip)."""

from __future__ import annotations

import os

import psycopg
import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_TEST_DB = os.environ.get("TEST_POSTGRES_DB", "eventsapp_test")
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(service: str, error: Exception) -> None:
    """Skip a test needing ``service``, or fail it under CI."""
    message = f"{service} is not reachable ({type(error).__name__}: {error})"
    if in_ci():
        pytest.fail(f"{message}; under CI=true this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


# Each test run gets databases of its own ("eventsapp_test_r<pid>"), dropped
# when it ends: two runs at once on one machine (two developers' shells, an
# editor's test runner) would otherwise reset each other's schema mid-test.
RUN_SUFFIX = os.environ.get("TEST_DB_SUFFIX", f"_r{os.getpid()}")
_created: set[str] = set()


def postgres_url(database: str = POSTGRES_TEST_DB) -> str:
    """The URL of this run's copy of ``database``, created if missing."""
    database = f"{database}{RUN_SUFFIX}"
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{database}"')
            _created.add(database)
    except psycopg.OperationalError as error:
        unavailable("PostgreSQL", error)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{database}"


def drop_run_databases() -> None:
    """Drop the databases this run created (at the end of the session)."""
    if not _created:
        return
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as connection:
            for database in sorted(_created):
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    except psycopg.Error:
        pass  # left behind: harmless, and recreated from nothing next time
    _created.clear()


def reset_postgres_schema(url: str) -> None:
    """Drop everything in the database so migrations start from nothing."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


def redis_url() -> str:
    """The Redis URL for tests (database 15), or skip/fail when it does not answer."""
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        unavailable("Redis", error)
    return REDIS_TEST_URL
