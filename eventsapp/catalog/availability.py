"""Seats left, for the agenda and the event page, counted in one query per page.

Seats are held by pending (double opt-in) and confirmed registrations; the
waiting list holds none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from eventsapp.catalog.models import Event, Session
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.registrations.models import (
    SEAT_HOLDING_STATUSES,
    Registration,
    registration_sessions,
)


@dataclass(frozen=True)
class Availability:
    """Where sign-up stands for an event or a session.

    ``state`` is one of: cancelled, past, free-entry, not-open, closed, open,
    waitlist, full. ``seats_left`` is None when the capacity is unlimited.
    """

    state: str
    seats_left: int | None = None
    opens_at: datetime | None = None

    @property
    def can_register(self) -> bool:
        """True while a sign-up (or a place on the waiting list) is possible."""
        return self.state in ("open", "waitlist")

    @property
    def label(self) -> str:
        """What the person reads: "12 places restantes", "Complet"…"""
        if self.state == "open" and self.seats_left is not None:
            return ngettext("%(num)d place restante", "%(num)d places restantes", self.seats_left)
        return str(_STATE_LABELS[self.state])


# Lazy, so that only the label shown is translated.
_STATE_LABELS = {
    "cancelled": _l("Annulé"),
    "past": _l("Terminé"),
    "free-entry": _l("Entrée libre, sans inscription"),
    "not-open": _l("Inscriptions bientôt ouvertes"),
    "closed": _l("Inscriptions closes"),
    "open": _l("Places disponibles"),
    "waitlist": _l("Complet – liste d'attente ouverte"),
    "full": _l("Complet"),
}


def seats_taken_by_event(event_ids: Iterable[int]) -> dict[int, int]:
    """Seats held per event, for all the given events in one query."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Registration.event_id, sa.func.coalesce(sa.func.sum(Registration.seats), 0))
        .where(Registration.event_id.in_(ids), Registration.status.in_(SEAT_HOLDING_STATUSES))
        .group_by(Registration.event_id)
    )
    return {event_id: int(seats) for event_id, seats in rows}


def seats_taken_by_session(event_id: int) -> dict[int, int]:
    """Seats held per session of one event, in one query."""
    rows = db.session.execute(
        sa.select(registration_sessions.c.session_id, sa.func.sum(Registration.seats))
        .join(Registration, Registration.id == registration_sessions.c.registration_id)
        .where(Registration.event_id == event_id, Registration.status.in_(SEAT_HOLDING_STATUSES))
        .group_by(registration_sessions.c.session_id)
    )
    return {session_id: int(seats) for session_id, seats in rows}


def _capacity_state(capacity: int | None, taken: int, waitlist_enabled: bool) -> Availability:
    if capacity is None:
        return Availability("open")
    left = max(capacity - taken, 0)
    if left > 0:
        return Availability("open", seats_left=left)
    return Availability("waitlist" if waitlist_enabled else "full", seats_left=0)


def event_availability(event: Event, seats_taken: int, now: datetime | None = None) -> Availability:
    """Where sign-up stands for ``event`` given the seats already held."""
    now = now or now_utc()
    if event.status == EventStatus.CANCELLED:
        return Availability("cancelled")
    if event.ends_at <= now:
        return Availability("past")
    if not event.registration_required:
        return Availability("free-entry")
    if event.starts_at <= now or (event.registration_closes_at and event.registration_closes_at <= now):
        return Availability("closed")
    if event.registration_opens_at and event.registration_opens_at > now:
        return Availability("not-open", opens_at=event.registration_opens_at)
    return _capacity_state(event.capacity, seats_taken, event.waitlist_enabled)


def availability_for_events(events: Iterable[Event], now: datetime | None = None) -> dict[int, Availability]:
    """Availability of each event, keyed by id, in one query for all of them."""
    events = list(events)
    taken = seats_taken_by_event(event.id for event in events)
    return {event.id: event_availability(event, taken.get(event.id, 0), now) for event in events}


def availability_for_sessions(event: Event) -> dict[int, Availability]:
    """Availability of each session of ``event`` (its capacity only)."""
    sessions: list[Session] = event.sessions
    if not sessions:
        return {}  # nothing to count: spare the query
    taken = seats_taken_by_session(event.id)
    return {
        session.id: _capacity_state(session.capacity, taken.get(session.id, 0), event.waitlist_enabled)
        for session in sessions
    }
