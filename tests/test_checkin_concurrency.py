"""Two staff checking the same person in at the same moment give one
check-in, not two (issue 6, point 6): real threads, real commits, on
PostgreSQL and on the embedded SQLite file; and on PostgreSQL the exact
interleaving where the second insert waits on the first's uncommitted row."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from eventsapp.accounts.models import Role
from eventsapp.checkin import service
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.extensions import db
from eventsapp.registrations.models import ParticipantCategory
from tests.accounts_support import make_member
from tests.conftest import build_test_app
from tests.databases import postgres_url, reset_postgres_schema
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory
from tests.test_registration_concurrency import run_in_threads

STAFF = 12
# Generous: a guard against a hang, never a measure of speed.
WAIT_SECONDS = 60
# Sessions of this database waiting for a lock (B behind A's row).
WAITING_SQL = (
    "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid IN "
    "(SELECT pid FROM pg_stat_activity WHERE datname = current_database())"
)


def _committing_app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    overrides: dict = {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": STAFF + 5, "pool_pre_ping": True}}
    if backend == "postgresql":
        url = postgres_url("eventsapp_checkin_concurrency")
        reset_postgres_schema(url)
        overrides["SQLALCHEMY_DATABASE_URI"] = url.replace("postgresql://", "postgresql+psycopg://")
    app = build_test_app("sqlite", tmp_path, **overrides)
    with app.app_context():
        app.extensions["celery"].set_current()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def committing_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app whose tests commit for real, on a database of its own."""
    yield from _committing_app(request.param, tmp_path)


@pytest.fixture
def postgres_app(tmp_path: Path) -> Iterator[Flask]:
    """The same on PostgreSQL only (row locks: what SQLite does not have)."""
    yield from _committing_app("postgresql", tmp_path)


def _scene(app: Flask) -> tuple[Flask, list[int], tuple[int, int]]:
    club = OrganisationFactory()
    staff = [make_member(club, Role.CHECKIN).user.id for _ in range(STAFF)]
    registration = RegistrationFactory(event=EventFactory(organisation=club), seats=2)
    ids = registration.event_id, registration.id
    db.session.commit()
    return app, staff, ids


@pytest.fixture
def scene(committing_app):
    return _scene(committing_app)


def test_staff_tapping_the_same_person_at_once_give_one_check_in(scene):
    app, staff, (event_id, registration_id) = scene
    outcomes = run_in_threads(
        app,
        [
            lambda actor=actor: (
                (result := service.check_in(event_id, registration_id, actor)).created,
                result.checkin.recorded_by_id,
            )
            for actor in staff
        ],
    )
    assert [outcome for outcome in outcomes if isinstance(outcome, Exception)] == []
    rows = db.session.scalars(sa.select(CheckIn).where(CheckIn.registration_id == registration_id)).all()
    assert len(rows) == 1
    winners = [outcome for outcome in outcomes if outcome[0]]
    assert len(winners) == 1
    # Everyone else was told who was first.
    assert {recorded_by for _created, recorded_by in outcomes} == {rows[0].recorded_by_id}
    assert rows[0].recorded_by_id == winners[0][1]


def test_walk_ins_taken_back_at_once_never_go_below_zero(scene):
    app, staff, (event_id, _registration_id) = scene
    with app.app_context():
        for _ in range(3):
            service.change_walk_ins(event_id, ParticipantCategory.ELU, 1, staff[0])
        db.session.commit()
    outcomes = run_in_threads(
        app,
        [
            lambda actor=actor: service.change_walk_ins(event_id, ParticipantCategory.ELU, -1, actor)
            for actor in staff
        ],
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, service.CheckInRefused)]
    assert len(refused) == STAFF - 3
    assert [outcome for outcome in outcomes if isinstance(outcome, Exception)] == refused
    assert db.session.scalar(sa.select(sa.func.sum(WalkIn.count)).where(WalkIn.event_id == event_id)) == 0


def test_the_second_insert_waits_for_the_first_then_does_nothing(postgres_app):
    """PostgreSQL: A inserts and holds its transaction open; B's insert of
    the same person blocks on A's uncommitted row (seen in pg_locks); A
    commits; B then inserts nothing and reports A's check-in."""
    app, staff, (event_id, registration_id) = _scene(postgres_app)
    inserted = threading.Event()
    results: dict[str, object] = {}

    def staff_a() -> None:
        with app.app_context():
            try:
                results["a"] = service.check_in(event_id, registration_id, staff[0]).created
                inserted.set()
                # Commit only once B is waiting on a lock.
                with db.engine.connect() as watcher:
                    for _ in range(WAIT_SECONDS * 20):
                        waiting = watcher.scalar(sa.text(WAITING_SQL))
                        if waiting:
                            break
                        threading.Event().wait(0.05)
                    results["b_was_waiting"] = bool(waiting)
                db.session.commit()
            finally:
                inserted.set()
                db.session.remove()

    def staff_b() -> None:
        with app.app_context():
            try:
                inserted.wait(WAIT_SECONDS)
                result = service.check_in(event_id, registration_id, staff[1])
                results["b"] = (result.created, result.checkin.recorded_by_id)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the test
                results["b"] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=staff_a), threading.Thread(target=staff_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 2)
    assert results["a"] is True and results["b_was_waiting"] is True
    assert results["b"] == (False, staff[0])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1
