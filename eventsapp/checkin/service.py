"""Check-in on the day: the rules.

**Scope.** An event is checked in at its door (``session_id`` None): that is
what the QR code of the confirmation e-mail does and what the counts of the
event say. An event with sessions (a Journée de l'ESS with parallel
workshops) may also be checked in per session, at each workshop's door:
the people listed are those who chose that session, and the check-ins and
walk-ins of a session are counted apart from the event's. The two are
independent: being checked in at a workshop does not check a person in at
the door, so the door's figures stay the door's.

**Who can be checked in.** Registrations holding seats: confirmed, and
pending ones (double opt-in not confirmed yet: their seats are held, so
they are expected too). Not the waiting list, not cancelled or erased
registrations: staff count such a person as a walk-in.

**Once.** The unique indexes of ``checkins`` make a second check-in of the
same registration (and scope) impossible; the row is written with ``INSERT …
ON CONFLICT DO NOTHING``, so two staff tapping at the same moment give one
row, and the second learns who was first ("déjà pointé·e à 9 h 12 par …").

**Walk-ins** are rows of +1 or −1 per category; a −1 is refused when the
count would go below zero, under the event's lock (two staff tapping − on
the last one cannot both succeed).

Functions take ids and an explicit actor, flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from eventsapp.catalog.models import Event, Session
from eventsapp.checkin.attendance import describe_checkin, find_checkin, scope_filter
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.db import now_utc
from eventsapp.errors import DomainError
from eventsapp.extensions import db
from eventsapp.locking import lock_event, note_written, prepare_write
from eventsapp.registrations.models import (
    SEAT_HOLDING_STATUSES,
    ParticipantCategory,
    Registration,
)


class CheckInRefused(DomainError):
    """A check-in, an undo or a walk-in change that the rules refuse."""


@dataclass(frozen=True)
class CheckInResult:
    """What a tap did: ``created`` False means the person was already checked
    in and nothing changed; ``checkin`` is the row, new or earlier."""

    created: bool
    checkin: CheckIn
    registration: Registration


# --- Scope --------------------------------------------------------------------


def event_session(event: Event, session_id: int | None) -> Session | None:
    """The session ``session_id`` of ``event`` (None for the event itself);
    ``CheckInRefused`` when the event has no such session."""
    if session_id is None:
        return None
    for session in event.sessions:
        if session.id == session_id:
            return session
    raise CheckInRefused(_("Cet atelier n'existe pas pour cet événement."))


def _check_open(event: Event) -> None:
    if event.is_cancelled:
        raise CheckInRefused(_("Cet événement est annulé : le pointage est fermé."))


def already_checked_in_message(result: CheckInResult, zone: str) -> str:
    """ "Claude DURAND : déjà pointé·e à 9 h 12 par Camille Martin. Rien n'a changé." """
    registration = result.registration
    return _(
        "%(name)s : déjà pointé·e %(when)s. Rien n'a été modifié.",
        name=f"{registration.first_name} {registration.last_name}".strip(),
        when=describe_checkin(result.checkin, zone),
    )


# --- Writing ------------------------------------------------------------------


def _checkable_registration(event: Event, registration_id: int, session_id: int | None) -> Registration:
    registration = db.session.get(
        Registration, registration_id, options=[selectinload(Registration.sessions)]
    )
    if registration is None or registration.event_id != event.id or registration.anonymised_at is not None:
        raise CheckInRefused(_("Cette inscription n'existe pas pour cet événement."))
    if registration.status not in SEAT_HOLDING_STATUSES:
        raise CheckInRefused(
            _(
                "%(name)s n'a pas de place réservée (inscription : %(status)s). "
                "Si la personne entre quand même, comptez-la parmi les venus sans inscription.",
                name=f"{registration.first_name} {registration.last_name}".strip(),
                status=registration.status.label,
            )
        )
    if session_id is not None and session_id not in {session.id for session in registration.sessions}:
        raise CheckInRefused(
            _(
                "%(name)s n'est pas inscrit·e à cet atelier.",
                name=f"{registration.first_name} {registration.last_name}".strip(),
            )
        )
    return registration


def check_in(
    event_id: int,
    registration_id: int,
    actor_id: int | None,
    *,
    session_id: int | None = None,
    seats: int | None = None,
    now: datetime | None = None,
) -> CheckInResult:
    """Mark ``registration_id`` present at event ``event_id`` (or one of its
    sessions), with ``seats`` people (default: all its seats; a class may
    come short). Already checked in: nothing changes, ``created`` is False
    and the earlier row is returned. Raises ``CheckInRefused``."""
    now = now or now_utc()
    prepare_write()
    event = db.session.get(Event, event_id)
    if event is None:
        raise CheckInRefused(_("Cet événement n'existe pas."))
    _check_open(event)
    event_session(event, session_id)
    registration = _checkable_registration(event, registration_id, session_id)
    if seats is None:
        seats = registration.seats
    if not 1 <= seats <= registration.seats:
        raise CheckInRefused(
            _(
                "Indiquez un nombre de personnes présentes entre 1 et %(seats)s.",
                seats=registration.seats,
            )
        )
    session = db.session()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = CheckIn.__table__
    # No conflict target: the partial unique index that applies depends on
    # the scope, and any unique violation here means "already checked in".
    # A row being inserted by a concurrent transaction makes this one wait
    # for it, then do nothing.
    statement = (
        insert(table)
        .values(
            event_id=event_id,
            registration_id=registration_id,
            session_id=session_id,
            seats=seats,
            recorded_by_id=actor_id,
            recorded_at=now,
        )
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )
    new_id = session.execute(statement).scalar()
    if new_id is not None:
        note_written(session)
    checkin = find_checkin(registration_id, session_id)
    if checkin is None:  # pragma: no cover - the conflicting row was deleted meanwhile
        raise CheckInRefused(_("Le pointage n'a pas pu être enregistré : réessayez."))
    return CheckInResult(created=new_id is not None, checkin=checkin, registration=registration)


def undo_check_in(event_id: int, registration_id: int, *, session_id: int | None = None) -> bool:
    """Take a check-in back (a wrong tap). True if there was one to undo."""
    prepare_write()
    event = db.session.get(Event, event_id)
    if event is None:
        raise CheckInRefused(_("Cet événement n'existe pas."))
    event_session(event, session_id)
    result = db.session.execute(
        sa.delete(CheckIn).where(
            CheckIn.event_id == event_id,
            CheckIn.registration_id == registration_id,
            scope_filter(CheckIn.session_id, session_id),
        )
    )
    if result.rowcount:
        note_written(db.session())
    return bool(result.rowcount)


def change_walk_ins(
    event_id: int,
    category: ParticipantCategory,
    delta: int,
    actor_id: int | None,
    *,
    session_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Add (``delta`` +1) or take back (−1) a walk-in of ``category``; the
    count of a category never goes below zero. Returns the new count."""
    if delta not in (1, -1):
        raise CheckInRefused(_("Un appui ajoute ou retire une seule personne."))
    now = now or now_utc()
    # Lock before counting: two staff tapping − on the last one are taken in turn.
    event = lock_event(event_id)
    _check_open(event)
    event_session(event, session_id)
    category = ParticipantCategory(category)
    current = (
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(WalkIn.count), 0)).where(
                WalkIn.event_id == event_id,
                WalkIn.category == category,
                scope_filter(WalkIn.session_id, session_id),
            )
        )
        or 0
    )
    if current + delta < 0:
        raise CheckInRefused(
            _(
                "Aucune personne venue sans inscription à retirer dans « %(category)s ».",
                category=category.label,
            )
        )
    db.session.add(
        WalkIn(
            event_id=event_id,
            session_id=session_id,
            category=category,
            count=delta,
            recorded_by_id=actor_id,
            recorded_at=now,
        )
    )
    db.session.flush()
    return int(current) + delta
