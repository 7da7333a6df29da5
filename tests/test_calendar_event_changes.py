"""``catalog.service.update_event`` and ``cancel_event``: the one place where
an event's time, place and status change; they report what changed and raise
the event's iCalendar SEQUENCE when calendars must move it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsapp.catalog.models import Event
from eventsapp.catalog.service import EventChanges, cancel_event, update_event
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.extensions import db
from tests.factories import EventFactory


def stored_sequence(event: Event) -> int:
    """What the database holds (flushed), not the object in memory."""
    return db.session.execute(sa.select(Event.sequence).where(Event.id == event.id)).scalar_one()


def test_a_new_event_starts_at_sequence_zero(db_session):
    assert stored_sequence(EventFactory()) == 0


def test_a_new_time_raises_the_sequence_and_keeps_the_old_values(db_session):
    event = EventFactory()
    old_start, old_end = event.starts_at, event.ends_at
    changes = update_event(
        event, starts_at=old_start + timedelta(days=2), ends_at=old_end + timedelta(days=2)
    )
    assert isinstance(changes, EventChanges)
    assert (changes.time, changes.place, changes.other, changes.status) == (True, False, False, False)
    assert changes.moved and changes.changed
    assert changes.old_values == {"starts_at": old_start, "ends_at": old_end}
    assert stored_sequence(event) == 1
    update_event(event, ends_at=event.ends_at + timedelta(hours=1))
    assert stored_sequence(event) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("venue_name", "Salle des fêtes"),
        ("venue_address", "1 place de la Mairie"),
        ("venue_postcode", "53100"),
        ("commune", "Mayenne"),
        ("online_url", "https://visio.exemple.org/salle"),
    ],
)
def test_a_new_place_raises_the_sequence(db_session, field, value):
    event = EventFactory()
    old = getattr(event, field)
    changes = update_event(event, **{field: value})
    assert (changes.time, changes.place, changes.other) == (False, True, False)
    assert changes.old_values == {field: old}
    assert getattr(event, field) == value
    assert stored_sequence(event) == 1


def test_other_changes_keep_the_sequence(db_session):
    event = EventFactory()
    changes = update_event(event, title="Nouveau titre", capacity=120, summary="Autre résumé")
    assert (changes.time, changes.place, changes.other) == (False, False, True)
    assert not changes.moved
    assert set(changes.old_values) == {"title", "capacity", "summary"}
    assert stored_sequence(event) == 0
    assert db.session.scalar(sa.select(Event.title).where(Event.id == event.id)) == "Nouveau titre"


def test_setting_the_same_values_changes_nothing(db_session):
    event = EventFactory()
    changes = update_event(event, starts_at=event.starts_at, commune=event.commune, title=event.title)
    assert not changes.changed
    assert changes.old_values == {}
    assert stored_sequence(event) == 0


def test_an_event_must_end_after_it_starts(db_session):
    event = EventFactory()
    start = event.starts_at
    with pytest.raises(ValueError, match="end after it starts"):
        update_event(event, ends_at=start)
    with pytest.raises(ValueError, match="end after it starts"):
        update_event(event, starts_at=event.ends_at + timedelta(minutes=1), commune="Ernée")
    assert event.starts_at == start and event.commune == "Laval"
    assert stored_sequence(event) == 0


@pytest.mark.parametrize("field", ["status", "sequence", "slug", "id", "cancelled_at", "no_such_column"])
def test_status_identity_and_unknown_fields_are_refused(db_session, field):
    event = EventFactory()
    with pytest.raises(ValueError, match=field):
        update_event(event, **{field: None})


def test_cancelling_sets_status_time_reason_and_raises_the_sequence(db_session):
    event = EventFactory()
    update_event(event, commune="Ernée")
    before = now_utc()
    changes = cancel_event(event, "  Intervenant malade.  ")
    assert changes.status and not changes.moved
    assert changes.old_values["status"] == EventStatus.PUBLISHED
    stored = db.session.execute(
        sa.select(Event.status, Event.cancelled_at, Event.cancellation_reason, Event.sequence).where(
            Event.id == event.id
        )
    ).one()
    assert stored.status == EventStatus.CANCELLED
    assert stored.cancelled_at >= before
    assert stored.cancellation_reason == "Intervenant malade."
    assert stored.sequence == 2


def test_cancelling_twice_changes_nothing_more(db_session):
    event = EventFactory()
    cancel_event(event, "Première raison.")
    cancelled_at = event.cancelled_at
    changes = cancel_event(event, "Seconde raison.")
    assert not changes.changed
    assert event.cancelled_at == cancelled_at
    assert event.cancellation_reason == "Première raison."
    assert stored_sequence(event) == 1


def test_the_services_flush_but_never_commit(db_session, monkeypatch):
    def no_commit() -> None:
        raise AssertionError("services must not commit")

    monkeypatch.setattr(db.session, "commit", no_commit)
    event = EventFactory()
    update_event(
        event, starts_at=event.starts_at + timedelta(hours=1), ends_at=event.ends_at + timedelta(hours=1)
    )
    cancel_event(event, "Raison.")
    assert stored_sequence(event) == 2
