"""Personal data: erasure on request and 12 months after the event.

An erased registration keeps its seats, category and (after the event) its
status, so the figures stay right; its private link stops working.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from eventsapp.calendars.tokens import forget_feed
from eventsapp.catalog.models import Event
from eventsapp.db import now_utc
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.locking import prepare_write
from eventsapp.notifications.service import forget_recipient
from eventsapp.registrations.models import ACTIVE_STATUSES, Registration
from eventsapp.registrations.service import cancel_registration
from eventsapp.registrations.tokens import derive_token, hash_token, new_token_salt


def anonymise_old_registrations(now: datetime | None = None, retention_days: int = 365) -> int:
    """Keep the consent text's promise: personal data are erased 12 months
    after the event. Returns how many registrations were anonymised."""
    now = now or now_utc()
    prepare_write()
    ended_before = now - timedelta(days=retention_days)
    ids = db.session.scalars(
        sa.select(Registration.id)
        .join(Event, Event.id == Registration.event_id)
        .where(Event.ends_at < ended_before, Registration.anonymised_at.is_(None))
        .order_by(Registration.id)
    ).all()
    for registration_id in ids:
        anonymise_registration(registration_id, now)
    return len(ids)


def _forget_calendar_feed(registration: Registration) -> None:
    """The personal calendar feed is keyed by the address (personal data): it
    goes when no other registration of that address, not erased, is left."""
    others = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.email == registration.email,
            Registration.id != registration.id,
            Registration.anonymised_at.is_(None),
        )
    )
    if not others:
        forget_feed(registration.email)


def anonymise_registration(registration_id: int, now: datetime | None = None) -> None:
    """Erase the person's data; the row (seats, category, status) still counts
    in the figures. An active registration for an event still to come is
    cancelled first (the person will not come); after the event, its status
    is kept, so attendance figures stay right."""
    now = now or now_utc()
    prepare_write()
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise NotFound("registration")
    if registration.status in ACTIVE_STATUSES and registration.event.ends_at > now:
        cancel_registration(registration_id, now)
    _forget_calendar_feed(registration)
    registration.first_name = ""
    registration.last_name = ""
    registration.email = f"anonyme-{registration.id}@invalid"
    registration.phone = None
    registration.structure = ""
    registration.answers = []
    registration.token_salt = new_token_salt()
    registration.token_hash = hash_token(derive_token(registration.token_salt))
    registration.anonymised_at = now
    db.session.flush()
    forget_recipient(registration.id)
