"""Per-session figures of one event (the organiser's event report): the
seats of the registrations that chose each workshop, their check-ins at
it, its walk-ins. Same definitions as ``queries`` (README, "Figures")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from eventsapp.catalog.models import Session
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.extensions import db
from eventsapp.registrations.models import Registration, registration_sessions
from eventsapp.reports.figures import SeatCounts
from eventsapp.reports.queries import count_columns, seat_counts


@dataclass(frozen=True)
class SessionCounts:
    session_id: int
    title: str
    starts_at: datetime
    capacity: int | None
    counts: SeatCounts
    walk_ins: int
    checkin_used: bool


def session_counts(event_id: int) -> list[SessionCounts]:
    """Per session of an event: the seats of the registrations that chose
    it, their check-ins at that session, its walk-ins. Three statements."""
    present = (
        sa.select(CheckIn.registration_id, CheckIn.session_id, CheckIn.seats.label("present"))
        .where(CheckIn.event_id == event_id, CheckIn.session_id.is_not(None))
        .subquery("present")
    )
    link = registration_sessions
    counts = db.session.execute(
        sa.select(link.c.session_id, *count_columns(present.c.present))
        .select_from(link)
        .join(Registration, Registration.id == link.c.registration_id)
        .outerjoin(
            present,
            sa.and_(
                present.c.registration_id == link.c.registration_id, present.c.session_id == link.c.session_id
            ),
        )
        .where(Registration.event_id == event_id)
        .group_by(link.c.session_id)
    )
    by_session = {row.session_id: seat_counts(row) for row in counts}
    per_category = (
        sa.select(WalkIn.session_id, WalkIn.category, sa.func.sum(WalkIn.count).label("net"))
        .where(WalkIn.event_id == event_id, WalkIn.session_id.is_not(None))
        .group_by(WalkIn.session_id, WalkIn.category)
        .subquery()
    )
    walk_in_rows = db.session.execute(
        sa.select(
            per_category.c.session_id,
            sa.func.sum(sa.case((per_category.c.net < 0, 0), else_=per_category.c.net)).label("people"),
        ).group_by(per_category.c.session_id)
    )
    walk_ins = {row.session_id: int(row.people) for row in walk_in_rows}
    used = {
        session_id
        for (session_id,) in db.session.execute(
            sa.select(CheckIn.session_id)
            .where(CheckIn.event_id == event_id, CheckIn.session_id.is_not(None))
            .distinct()
        )
    }
    sessions = db.session.execute(
        sa.select(Session.id, Session.title, Session.starts_at, Session.capacity)
        .where(Session.event_id == event_id)
        .order_by(Session.starts_at, Session.id)
    )
    return [
        SessionCounts(
            session_id=row.id,
            title=row.title,
            starts_at=row.starts_at,
            capacity=row.capacity,
            counts=by_session.get(row.id, SeatCounts()),
            walk_ins=int(walk_ins.get(row.id) or 0),
            checkin_used=row.id in used,
        )
        for row in sessions
    ]
