"""Whether a registration's seats fit an event and its chosen sessions, and
what to tell the person when they do not. Counted by the caller under the
event's lock (``locking.lock_event``): the registration service and the
organisers' moves from the waiting list use the same rules.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from eventsapp.catalog.availability import seats_taken_by_event, seats_taken_by_session
from eventsapp.catalog.models import Event, Session
from eventsapp.registrations.models import SEAT_HOLDING_STATUSES, Registration


def fits(
    event: Event,
    sessions: list[Session],
    seats: int,
    exclude: Registration | None = None,
    event_taken: int | None = None,
) -> bool:
    """Whether ``seats`` more fit the event and each chosen session (counted
    under the lock), not counting what ``exclude`` holds now.
    ``event_taken``: the event's seats held, when the caller has counted them."""
    return shortfall(event, sessions, seats, exclude, event_taken) is None


def shortfall(
    event: Event,
    sessions: list[Session],
    seats: int,
    exclude: Registration | None = None,
    event_taken: int | None = None,
) -> tuple[Event | Session, int] | None:
    """None when ``seats`` more fit the event and every chosen session (see
    ``fits``); else what to tell the person, with the seats it has left:
    the event when it is full, else a full session, else whichever has the
    fewest seats left (asking for that many fits everywhere)."""
    own = exclude.seats if exclude is not None and exclude.status in SEAT_HOLDING_STATUSES else 0
    short: list[tuple[Event | Session, int]] = []
    if event.capacity is not None:
        if event_taken is None:
            event_taken = seats_taken_by_event([event.id]).get(event.id, 0)
        room = event.capacity - (event_taken - own)
        if seats > room:
            short.append((event, max(room, 0)))
    limited = [session for session in sessions if session.capacity is not None]
    if limited:
        taken_by_session = seats_taken_by_session(event.id)
        own_sessions = {s.id for s in exclude.sessions} if own else set()
        for session in limited:
            taken = taken_by_session.get(session.id, 0) - (own if session.id in own_sessions else 0)
            if seats > session.capacity - taken:
                short.append((session, max(session.capacity - taken, 0)))
    if not short:
        return None
    for full, room in short:
        if room == 0 and isinstance(full, Event):
            return full, room
    return min(short, key=lambda item: item[1])


def full_message(shortfall: tuple[Event | Session, int]) -> str:
    """Why a sign-up without a waiting list is refused, naming what is full
    (a group that does not fit where a smaller one would is told so)."""
    full, room = shortfall
    if isinstance(full, Session):
        if room > 0:
            return ngettext(
                "L'atelier « %(title)s » n'a plus qu'une place : réduisez le nombre de places "
                "ou choisissez un autre atelier.",
                "L'atelier « %(title)s » n'a plus que %(num)d places : réduisez le nombre de places "
                "ou choisissez un autre atelier.",
                room,
                title=full.title,
            )
        return _(
            "Complet : l'atelier « %(title)s » n'a plus de place. Choisissez un autre atelier.",
            title=full.title,
        )
    if room > 0:
        return ngettext(
            "Il ne reste qu'une place pour cet événement : réduisez le nombre de places.",
            "Il ne reste que %(num)d places pour cet événement : réduisez le nombre de places.",
            room,
        )
    return _("Complet : il ne reste plus de place pour cet événement.")
