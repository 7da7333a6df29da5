"""Who is expected at the door and who came: the check-in page's list and
its figures (``checkin.service`` holds the rules of checking in).

A scope is the event's door (``session_id`` None) or one of its workshops;
the people expected are the registrations holding seats (confirmed and
pending), not erased.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.formatting import format_clock, format_day, local_time
from eventsapp.registrations.models import (
    SEAT_HOLDING_STATUSES,
    ParticipantCategory,
    Registration,
    registration_sessions,
)
from eventsapp.text import fold

# Without a search, the page lists at most this many people (a phone is
# small): beyond, staff type a few letters of the name.
LIST_LIMIT = 200


@dataclass(frozen=True)
class Attendee:
    """A line of the check-in page: a registration and its check-in (if any)."""

    registration: Registration
    checkin: CheckIn | None

    @property
    def name(self) -> str:
        return f"{self.registration.last_name.upper()} {self.registration.first_name}".strip()


@dataclass(frozen=True)
class Counts:
    """The figures at the top of the page, for one scope."""

    expected: int  # seats held (confirmed and pending)
    present: int  # seats checked in
    walk_ins: int  # people come without registering
    walk_ins_by_category: dict[ParticipantCategory, int] = field(default_factory=dict)

    @property
    def total_present(self) -> int:
        return self.present + self.walk_ins

    def as_json(self) -> dict[str, object]:
        return {
            "expected": self.expected,
            "present": self.present,
            "walk_ins": self.walk_ins,
            "total_present": self.total_present,
            "walk_ins_by_category": {
                category.value: self.walk_ins_by_category.get(category, 0) for category in ParticipantCategory
            },
        }


def scope_filter(column: sa.ColumnElement, session_id: int | None) -> sa.ColumnElement[bool]:
    """Rows of the event's door (``session_id`` None) or of one workshop."""
    return column.is_(None) if session_id is None else column == session_id


def _registrations_in_scope(event_ids: list[int], session_id: int | None) -> sa.Select:
    query = sa.select(Registration).where(
        Registration.event_id.in_(event_ids),
        Registration.status.in_(SEAT_HOLDING_STATUSES),
        Registration.anonymised_at.is_(None),
    )
    if session_id is not None:
        query = query.join(
            registration_sessions,
            sa.and_(
                registration_sessions.c.registration_id == Registration.id,
                registration_sessions.c.session_id == session_id,
            ),
        )
    return query


def attendees(
    event_id: int, session_id: int | None = None, query: str = "", limit: int | None = None
) -> tuple[list[Attendee], int]:
    """The people expected in the scope whose name (or structure) contains
    every word of ``query`` (accents and case do not matter), by last name;
    at most ``limit`` of them, and how many matched in all.

    The folding is done here rather than in SQL: SQLite compares accents
    literally, and an event has hundreds of registrants, not millions."""
    registrations = db.session.scalars(_registrations_in_scope([event_id], session_id)).all()
    words = fold(query).split()
    if words:
        registrations = [
            registration
            for registration in registrations
            if all(
                word in fold(f"{registration.first_name} {registration.last_name} {registration.structure}")
                for word in words
            )
        ]
    registrations = sorted(registrations, key=lambda r: (fold(r.last_name), fold(r.first_name), r.id))
    shown = registrations[: LIST_LIMIT if limit is None else limit]
    checkins = _checkins_of([registration.id for registration in shown], session_id)
    return [Attendee(registration, checkins.get(registration.id)) for registration in shown], len(
        registrations
    )


def _checkins_of(registration_ids: list[int], session_id: int | None) -> dict[int, CheckIn]:
    if not registration_ids:
        return {}
    rows = db.session.scalars(
        sa.select(CheckIn)
        .where(CheckIn.registration_id.in_(registration_ids), scope_filter(CheckIn.session_id, session_id))
        .options(joinedload(CheckIn.recorded_by))
    )
    return {row.registration_id: row for row in rows}


def find_checkin(registration_id: int, session_id: int | None = None) -> CheckIn | None:
    """The check-in of a registration in a scope, if any."""
    return db.session.scalar(
        sa.select(CheckIn)
        .where(CheckIn.registration_id == registration_id, scope_filter(CheckIn.session_id, session_id))
        .options(joinedload(CheckIn.recorded_by))
    )


def counts(event_id: int, session_id: int | None = None) -> Counts:
    """Expected, present, walk-ins (and per category) of a scope."""
    return counts_of_events([event_id], session_id)[event_id]


def counts_of_events(event_ids: list[int], session_id: int | None = None) -> dict[int, Counts]:
    """The figures of each event (at the door, or of one workshop), in three
    grouped queries whatever the number of events (the check-in list)."""
    if not event_ids:
        return {}
    expected_query = (
        _registrations_in_scope(event_ids, session_id)
        .with_only_columns(Registration.event_id, sa.func.sum(Registration.seats))
        .group_by(Registration.event_id)
    )
    expected = {event_id: int(total or 0) for event_id, total in db.session.execute(expected_query)}
    present = {
        event_id: int(total or 0)
        for event_id, total in db.session.execute(
            sa.select(CheckIn.event_id, sa.func.sum(CheckIn.seats))
            .where(CheckIn.event_id.in_(event_ids), scope_filter(CheckIn.session_id, session_id))
            .group_by(CheckIn.event_id)
        )
    }
    walk_ins: dict[int, dict[ParticipantCategory, int]] = {event_id: {} for event_id in event_ids}
    for event_id, category, total in db.session.execute(
        sa.select(WalkIn.event_id, WalkIn.category, sa.func.sum(WalkIn.count))
        .where(WalkIn.event_id.in_(event_ids), scope_filter(WalkIn.session_id, session_id))
        .group_by(WalkIn.event_id, WalkIn.category)
    ):
        walk_ins[event_id][ParticipantCategory(category)] = int(total)
    return {
        event_id: Counts(
            expected=expected.get(event_id, 0),
            present=present.get(event_id, 0),
            walk_ins=sum(walk_ins[event_id].values()),
            walk_ins_by_category=walk_ins[event_id],
        )
        for event_id in event_ids
    }


def describe_checkin(checkin: CheckIn, zone: str, now: datetime | None = None) -> str:
    """ "à 9 h 12 par Camille Martin" (with the day when it was not today),
    in the event's time zone."""
    now = now or now_utc()
    moment = format_clock(checkin.recorded_at, zone)
    if local_time(checkin.recorded_at, zone).date() != local_time(now, zone).date():
        moment = _("%(day)s à %(time)s", day=format_day(checkin.recorded_at, zone), time=moment)
    else:
        moment = _("à %(time)s", time=moment)
    who = checkin.recorded_by.full_name if checkin.recorded_by is not None else _("un membre de l'équipe")
    return _("%(moment)s par %(who)s", moment=moment, who=who)
