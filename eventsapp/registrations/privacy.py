"""Personal data: erasure on request and after the event, 12 months by
default or sooner if the organisation chose so (``retention_months``).

An erased registration keeps its seats, category and (after the event) its
status, so the figures stay right; its private link stops working.
"""

from __future__ import annotations

import calendar
from datetime import datetime

import sqlalchemy as sa

from eventsapp.calendars.tokens import forget_feed
from eventsapp.catalog.models import Event
from eventsapp.db import now_utc
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.locking import prepare_write
from eventsapp.notifications.service import forget_recipient
from eventsapp.organisations.models import MAX_RETENTION_MONTHS, Organisation
from eventsapp.registrations.models import ACTIVE_STATUSES, Registration
from eventsapp.registrations.service import cancel_registration
from eventsapp.registrations.tokens import derive_token, hash_token, new_token_salt


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` the same day ``months`` calendar months earlier (the last
    day of the month when that day does not exist: 31 May − 3 = 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def anonymise_old_registrations(now: datetime | None = None) -> int:
    """Keep the consent text's promise: personal data are erased 12 months
    after the event, or after the shorter retention the organiser chose
    (``Organisation.retention_months``, never more than 12). Returns how
    many registrations were anonymised."""
    now = now or now_utc()
    prepare_write()
    retentions = db.session.scalars(sa.select(Organisation.retention_months).distinct()).all()
    ids: list[int] = []
    for months in sorted(set(retentions)):
        # The check constraint keeps it in range; min() keeps the promise anyway.
        ended_before = months_before(now, min(months, MAX_RETENTION_MONTHS))
        ids += db.session.scalars(
            sa.select(Registration.id)
            .join(Event, Event.id == Registration.event_id)
            .join(Organisation, Organisation.id == Event.organisation_id)
            .where(
                Organisation.retention_months == months,
                Event.ends_at < ended_before,
                Registration.anonymised_at.is_(None),
            )
        ).all()
    for registration_id in sorted(ids):
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
