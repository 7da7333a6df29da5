"""What one request sends to the database, in-process (Flask test client).

``profile_post`` sends a warm-up request (templates compiled, a connection in
the pool, Celery's producer open), then the measured one, and records every
statement the engine executes (with its connection and time), every commit,
and every pool checkout: with ``pool_pre_ping`` each checkout costs one more
round trip (a ``SELECT 1`` the engine's events do not see).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench.registration_load import RequestMaker, next_request_number


@dataclass
class Statement:
    connection: int  # 1 = the first connection the request used, 2 = the next…
    sql: str
    parameters: Any
    seconds: float


@dataclass
class RequestProfile:
    """One request, seen from the engine."""

    status: int
    location: str
    total_seconds: float
    statements: list[Statement] = field(default_factory=list)
    commits: int = 0
    checkouts: int = 0

    @property
    def sql_seconds(self) -> float:
        return sum(statement.seconds for statement in self.statements)

    @property
    def connections(self) -> int:
        return len({statement.connection for statement in self.statements})

    def summary(self) -> str:
        return (
            f"{len(self.statements)} statements on {self.connections} connection(s), "
            f"{self.commits} commits, {self.checkouts} pool checkouts (+1 pre-ping SELECT 1 each); "
            f"{1000 * self.sql_seconds:.1f} ms in SQL of {1000 * self.total_seconds:.1f} ms"
        )

    def verbs(self) -> str:
        """How many statements of each kind: "SELECT 7, INSERT 2, UPDATE 1"."""
        counts: dict[str, int] = {}
        for statement in self.statements:
            verb = statement.sql.split(None, 1)[0].upper() if statement.sql.strip() else "?"
            counts[verb] = counts.get(verb, 0) + 1
        return ", ".join(f"{verb} {count}" for verb, count in sorted(counts.items(), key=lambda kv: -kv[1]))

    def listing(self) -> str:
        """Every statement, numbered, with its connection and time."""
        lines = []
        for index, statement in enumerate(self.statements, start=1):
            sql = " ".join(statement.sql.split())
            lines.append(
                f"-- [{index}] conn {statement.connection}, {1000 * statement.seconds:.2f} ms, "
                f"params={statement.parameters!r}\n{sql}"
            )
        return "\n\n".join(lines)


def profile_post(app: Flask, make_request: RequestMaker) -> RequestProfile:
    """POST once to warm up, then once more while recording the SQL."""
    from eventsapp.extensions import db

    with app.app_context():
        engine = db.engine
    client = app.test_client()

    def send() -> tuple[int, str, float]:
        path, body = make_request(next_request_number())
        started = perf_counter()
        response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        return response.status_code, response.headers.get("Location", ""), perf_counter() - started

    send()
    profile = RequestProfile(status=0, location="", total_seconds=0.0)
    connection_numbers: dict[int, int] = {}

    def before(
        conn: sa.Connection, _cursor: Any, _statement: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        conn.info.setdefault("bench_started", []).append(perf_counter())

    def after(conn: sa.Connection, _cursor: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        key = id(conn.connection.dbapi_connection)
        number = connection_numbers.setdefault(key, len(connection_numbers) + 1)
        elapsed = perf_counter() - conn.info["bench_started"].pop()
        profile.statements.append(Statement(number, statement, params, elapsed))

    def on_commit(_conn: sa.Connection) -> None:
        profile.commits += 1

    def on_checkout(*_args: Any) -> None:
        profile.checkouts += 1

    listeners = [
        (engine, "before_cursor_execute", before),
        (engine, "after_cursor_execute", after),
        (engine, "commit", on_commit),
        (engine.pool, "checkout", on_checkout),
    ]
    for target, name, function in listeners:
        sa.event.listen(target, name, function)
    try:
        profile.status, profile.location, profile.total_seconds = send()
    finally:
        for target, name, function in listeners:
            sa.event.remove(target, name, function)
    return profile
