"""Simultaneous sign-ups and cancellations with real threads and real commits,
on PostgreSQL and on the embedded SQLite file: never over capacity, the
waiting list in one consistent order, every freed seat promoted once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from eventsapp.catalog.models import Event, Session
from eventsapp.extensions import db
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus
from eventsapp.registrations.service import (
    EventFull,
    SignUpRequest,
    cancel_registration,
    promote_waitlist,
    sign_up,
)
from tests.conftest import build_test_app
from tests.databases import postgres_url, reset_postgres_schema
from tests.factories import EventFactory, SessionFactory

THREADS = 60


@pytest.fixture(params=["sqlite", "postgresql"])
def committing_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app whose tests commit for real, on a database of its own."""
    overrides: dict = {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 5, "pool_pre_ping": True}}
    if request.param == "postgresql":
        url = postgres_url("eventsapp_concurrency")
        reset_postgres_schema(url)
        overrides["SQLALCHEMY_DATABASE_URI"] = url.replace("postgresql://", "postgresql+psycopg://")
    app = build_test_app("sqlite", tmp_path, **overrides)
    with app.app_context():
        app.extensions["celery"].set_current()
        yield app
        db.session.remove()
        db.engine.dispose()


def run_in_threads(app: Flask, jobs: list[Callable[[], object]]) -> list[object]:
    """Run each job in its own thread and app context, all released at once."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], object]) -> object:
        with app.app_context():
            barrier.wait()
            try:
                outcome = job()
                db.session.commit()
                return outcome
            except Exception as error:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                return error
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def request_for(number: int, **changes) -> SignUpRequest:
    return SignUpRequest(
        first_name="Dominique",
        last_name=f"Simultané{number}",
        email=f"rush{number}@exemple.fr",
        category=ParticipantCategory.SALARIE_ESS,
        consent=True,
        **changes,
    )


def statuses(event_id: int) -> dict[RegistrationStatus, int]:
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.sum(Registration.seats))
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
    )
    return {status: seats for status, seats in rows}


def test_sixty_sign_ups_for_twenty_seats(committing_app):
    event_id = EventFactory(capacity=20, waitlist_enabled=True).id
    db.session.commit()
    outcomes = run_in_threads(
        committing_app, [lambda n=n: sign_up(event_id, request_for(n)) for n in range(THREADS)]
    )
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert errors == []
    assert statuses(event_id) == {RegistrationStatus.CONFIRMED: 20, RegistrationStatus.WAITLISTED: 40}
    positions = db.session.scalars(
        sa.select(Registration.waitlist_position)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.waitlist_position)
    ).all()
    assert positions == list(range(1, 41))


def test_sixty_sign_ups_for_a_session_of_twenty(committing_app):
    event = EventFactory(capacity=None, waitlist_enabled=True)
    workshop_id = SessionFactory(event=event, capacity=20).id
    event_id = event.id
    db.session.commit()
    outcomes = run_in_threads(
        committing_app,
        [lambda n=n: sign_up(event_id, request_for(n, session_ids=[workshop_id])) for n in range(THREADS)],
    )
    assert [outcome for outcome in outcomes if isinstance(outcome, Exception)] == []
    assert statuses(event_id) == {RegistrationStatus.CONFIRMED: 20, RegistrationStatus.WAITLISTED: 40}


def test_cancellations_and_sign_ups_at_once_never_overfill(committing_app):
    event_id = EventFactory(capacity=20, waitlist_enabled=True).id
    db.session.commit()
    first = run_in_threads(committing_app, [lambda n=n: sign_up(event_id, request_for(n)) for n in range(30)])
    confirmed = [
        outcome.registration_id for outcome in first if outcome.status == RegistrationStatus.CONFIRMED
    ]
    cancellations = [lambda rid=rid: cancel_registration(rid) for rid in confirmed[:10]]
    promotions = [lambda: promote_waitlist(event_id) for _ in range(10)]
    newcomers = [lambda n=n: sign_up(event_id, request_for(100 + n)) for n in range(20)]
    outcomes = run_in_threads(committing_app, cancellations + promotions + newcomers)
    assert [outcome for outcome in outcomes if isinstance(outcome, Exception)] == []
    promote_waitlist(event_id)
    db.session.commit()
    seats = statuses(event_id)
    assert seats[RegistrationStatus.CONFIRMED] == 20
    assert seats[RegistrationStatus.CANCELLED] == 10
    assert seats[RegistrationStatus.WAITLISTED] == 50 - 10 - 20
    promoted_twice = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.event_id == event_id,
            Registration.confirmed_at.is_(None),
            Registration.status == RegistrationStatus.CONFIRMED,
        )  # fmt: skip
    )
    assert promoted_twice == 0


def change_elsewhere(app: Flask, model: type, row_id: int, **values: object) -> None:
    """Commit a change from another thread, connection and transaction."""

    def change() -> None:
        with app.app_context():
            db.session.execute(sa.update(model).where(model.id == row_id).values(**values))
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=change)
    thread.start()
    thread.join(10)


@pytest.mark.parametrize("lowered", ["event", "workshop"])
def test_the_lock_counts_against_a_capacity_lowered_after_the_page_loaded_it(committing_app, lowered):
    """The sign-up view loads the event and its workshops before the service
    locks it; a capacity lowered meanwhile by an organiser is the one counted."""
    event = EventFactory(capacity=5 if lowered == "event" else None, waitlist_enabled=False)
    workshop_id = SessionFactory(event=event, capacity=5 if lowered == "workshop" else None).id
    event_id = event.id
    db.session.commit()
    sign_up(event_id, request_for(1, session_ids=[workshop_id]))
    db.session.commit()

    loaded = db.session.get(Event, event_id)  # what the view reads before the lock
    assert [session.id for session in loaded.sessions] == [workshop_id]
    if lowered == "event":
        change_elsewhere(committing_app, Event, event_id, capacity=1)
    else:
        change_elsewhere(committing_app, Session, workshop_id, capacity=1)
    with pytest.raises(EventFull):
        sign_up(event_id, request_for(2, session_ids=[workshop_id]))
    db.session.rollback()
    assert statuses(event_id) == {RegistrationStatus.CONFIRMED: 1}
