"""Calendar feeds: what each feed holds, and how its content is fingerprinted.

Every feed is a ``FeedSpec``: its title, file name, and the SELECT of its
events (public feeds reuse the agenda's ``agenda_statement`` with the feed
window) or a person's registrations. The rules of all feeds:

- the window is the past 30 days and the future;
- a cancelled event stays for 30 days after its cancellation, as CANCELLED,
  so that subscribed calendars remove it (a feed that merely dropped it would
  leave some clients with a stale copy);
- a person's feed lists their confirmed and waitlisted (TENTATIVE)
  registrations, by e-mail address, with a VEVENT per chosen session.

Their HTTP validators and the cache of built feeds are in ``validators.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from eventsapp.calendars.ical import (
    CalendarEntry,
    CalendarInfo,
    EntryContext,
    build_calendar,
    calendar_filename,
    event_entry,
    session_entry,
)
from eventsapp.calendars.models import CalendarFeed
from eventsapp.catalog.filters import AgendaFilters
from eventsapp.catalog.models import Campaign, Event
from eventsapp.catalog.service import PUBLIC_STATUSES, agenda_statement
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.models import Registration, RegistrationStatus, registration_sessions
from eventsapp.territories.departments import department_name

# The window of every feed, and how long a cancelled event stays in it.
FEED_PAST = timedelta(days=30)
CANCELLED_KEPT = timedelta(days=30)
PERSONAL_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


@dataclass
class FeedSpec:
    """One feed: what it is called and how to find (and fingerprint) its rows."""

    key: str  # what makes this feed unique among feeds ("campaign:12", …)
    info: CalendarInfo
    filename: str
    # The aggregate row whose values change whenever the feed's content does.
    fingerprint: Callable[[], tuple[Any, ...]]
    # The feed's entries, read from the database.
    entries: Callable[[], list[CalendarEntry]]
    private: bool = False


def _site_zone() -> str:
    return current_app.config["TIMEZONE"]


def _site_name() -> str:
    return current_app.config["SITE_NAME"]


# Public feeds -------------------------------------------------------------------


def feed_visibility(now: datetime) -> sa.ColumnElement[bool]:
    """Published events, and those cancelled less than 30 days ago."""
    cancelled_since = sa.func.coalesce(Event.cancelled_at, Event.updated_at)
    return sa.or_(
        Event.status == EventStatus.PUBLISHED,
        sa.and_(Event.status == EventStatus.CANCELLED, cancelled_since >= now - CANCELLED_KEPT),
    )


def public_feed_statement(
    filters: AgendaFilters, now: datetime, organisation_id: int | None = None
) -> sa.Select:
    """The agenda's SELECT for ``filters``, widened to the feed window."""
    statement = agenda_statement(filters, now, visible=feed_visibility(now), ended_after=now - FEED_PAST)
    if organisation_id is not None:
        statement = statement.where(Event.organisation_id == organisation_id)
    return statement


# The columns an entry reads: a plain row is much cheaper than an ORM object,
# and a feed of 2,000 events must not hold a worker for long.
_ENTRY_COLUMNS = (
    Event.id,
    Event.slug,
    Event.title,
    Event.summary,
    Event.description,
    Event.kind,
    Event.status,
    Event.venue_name,
    Event.venue_address,
    Event.venue_postcode,
    Event.commune,
    Event.latitude,
    Event.longitude,
    Event.online_url,
    Event.starts_at,
    Event.ends_at,
    Event.timezone,
    Event.sequence,
    Event.accessibility_info,
    Event.cancellation_reason,
    Event.created_at,
    Event.updated_at,
    Organisation.name.label("organisation_name"),
)


def _public_fingerprint(statement: sa.Select) -> tuple[Any, ...]:
    aggregate = statement.with_only_columns(
        sa.func.count(Event.id),
        sa.func.max(Event.updated_at),
        sa.func.coalesce(sa.func.sum(Event.id), 0),
        sa.func.coalesce(sa.func.sum(Event.sequence), 0),
        # Organisation names are in the descriptions.
        sa.func.coalesce(sa.func.sum(Event.organisation_id), 0),
    ).order_by(None)
    return tuple(db.session.execute(aggregate).one())


def _public_entries(statement: sa.Select) -> list[CalendarEntry]:
    rows = db.session.execute(
        statement.with_only_columns(*_ENTRY_COLUMNS).join(
            Organisation, Organisation.id == Event.organisation_id
        )
    )
    context = EntryContext()
    return [event_entry(row, context, organisation_name=row.organisation_name) for row in rows]


def _public_spec(key: str, info: CalendarInfo, filename: str, statement: sa.Select) -> FeedSpec:
    return FeedSpec(
        key=key,
        info=info,
        filename=filename,
        fingerprint=lambda: _public_fingerprint(statement),
        entries=lambda: _public_entries(statement),
    )


def event_feed(slug: str) -> FeedSpec:
    """One public event as a calendar (its .ics file); ``NotFound`` otherwise.
    Unlike the feeds, the file of a cancelled event stays available."""
    statement = sa.select(Event).where(Event.slug == slug, Event.status.in_(PUBLIC_STATUSES))
    title = db.session.scalar(statement.with_only_columns(Event.title))
    if title is None:
        raise NotFound(slug)
    info = CalendarInfo(
        name=title, description=_("Événement publié sur %(site)s", site=_site_name()), timezone=_site_zone()
    )
    return _public_spec(f"event:{slug}:{title}", info, calendar_filename(slug), statement)


def campaign_feed(slug: str, now: datetime | None = None) -> FeedSpec:
    """A campaign's events; ``NotFound`` for an unknown campaign."""
    campaign = db.session.execute(
        sa.select(Campaign.id, Campaign.name, Campaign.description).where(Campaign.slug == slug)
    ).one_or_none()
    if campaign is None:
        raise NotFound(slug)
    statement = public_feed_statement(AgendaFilters(campaign=slug), now or now_utc())
    info = CalendarInfo(
        name=campaign.name,
        description=_("Les événements de « %(name)s » (%(site)s)", name=campaign.name, site=_site_name()),
        timezone=_site_zone(),
    )
    return _public_spec(f"campaign:{campaign.id}:{campaign.name}", info, calendar_filename(slug), statement)


def organisation_feed(slug: str, now: datetime | None = None) -> FeedSpec:
    """An organiser's events; ``NotFound`` for an unknown organisation."""
    organisation = db.session.execute(
        sa.select(Organisation.id, Organisation.name).where(Organisation.slug == slug)
    ).one_or_none()
    if organisation is None:
        raise NotFound(slug)
    statement = public_feed_statement(AgendaFilters(), now or now_utc(), organisation_id=organisation.id)
    info = CalendarInfo(
        name=organisation.name,
        description=_(
            "Les événements organisés par %(name)s (%(site)s)", name=organisation.name, site=_site_name()
        ),
        timezone=_site_zone(),
    )
    key = f"organisation:{organisation.id}:{organisation.name}"
    return _public_spec(key, info, calendar_filename(slug), statement)


def filtered_feed_title(filters: AgendaFilters) -> str:
    """ "Agenda de l'ESS – Ciné-débat – Mayenne (53)"."""
    parts = [_("Agenda de l'ESS")]
    if filters.campaign:
        parts.append(filters.campaign)
    if filters.kind:
        parts.append(str(filters.kind.label))
    if filters.audience:
        parts.append(str(filters.audience.label))
    if filters.department:
        parts.append(f"{department_name(filters.department)} ({filters.department})")
    if filters.commune:
        parts.append(filters.commune)
    if filters.text:
        parts.append(f"« {filters.text} »")
    if filters.date_from or filters.date_to:
        parts.append(
            _(
                "du %(start)s au %(end)s",
                start=filters.date_from.isoformat() if filters.date_from else "…",
                end=filters.date_to.isoformat() if filters.date_to else "…",
            )
        )
    return " – ".join(parts)


def filtered_feed(filters: AgendaFilters, now: datetime | None = None) -> FeedSpec:
    """Any agenda filter as a feed (``/calendar.ics?…``)."""
    statement = public_feed_statement(filters, now or now_utc())
    arguments = sorted(filters.query_args().items())
    title = filtered_feed_title(filters)
    info = CalendarInfo(
        name=title,
        description=_("Événements de l'économie sociale et solidaire (%(site)s)", site=_site_name()),
        timezone=_site_zone(),
    )
    return _public_spec(f"filter:{arguments!r}", info, "agenda-ess.ics", statement)


# Personal feeds ---------------------------------------------------------------------


def _personal_statement(email: str, now: datetime) -> sa.Select:
    """The person's confirmed and waitlisted registrations in the feed window."""
    return (
        sa.select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.email == email,
            Registration.status.in_(PERSONAL_STATUSES),
            feed_visibility(now),
            Event.ends_at >= now - FEED_PAST,
        )
    )


def _personal_fingerprint(statement: sa.Select) -> tuple[Any, ...]:
    # correlate(None): the subqueries stand alone, whatever the outer SELECT reads.
    chosen = statement.with_only_columns(Registration.id).correlate(None).scalar_subquery()
    sessions = sa.select(registration_sessions.c.session_id).where(
        registration_sessions.c.registration_id.in_(chosen)
    )
    session_count = sessions.with_only_columns(sa.func.count()).correlate(None).scalar_subquery()
    session_sum = (
        sessions.with_only_columns(sa.func.coalesce(sa.func.sum(registration_sessions.c.session_id), 0))
        .correlate(None)
        .scalar_subquery()
    )
    waitlisted = sa.case((Registration.status == RegistrationStatus.WAITLISTED, 1), else_=0)
    aggregate = statement.with_only_columns(
        sa.func.count(Registration.id),
        sa.func.max(Event.updated_at),
        sa.func.max(Registration.updated_at),
        sa.func.coalesce(sa.func.sum(Registration.id), 0),
        sa.func.coalesce(sa.func.sum(Event.sequence), 0),
        sa.func.coalesce(sa.func.sum(waitlisted), 0),
        session_count,
        session_sum,
    ).order_by(None)
    return tuple(db.session.execute(aggregate).one())


def registration_entries(
    registration: Registration, context: EntryContext | None = None
) -> list[CalendarEntry]:
    """A person's registration as calendar entries: the event, and each chosen
    session; TENTATIVE while the place is not confirmed."""
    context = context or EntryContext()
    event = registration.event
    organisation_name = event.organisation.name if event.organisation else None
    options = {
        "organisation_name": organisation_name,
        # A waiting-list place (or one still to confirm by e-mail) may not happen.
        "tentative": registration.status != RegistrationStatus.CONFIRMED,
        "last_modified": registration.updated_at,
    }
    entries = [event_entry(event, context, **options)]
    entries.extend(session_entry(event, session, context, **options) for session in registration.sessions)
    return entries


def _personal_entries(statement: sa.Select) -> list[CalendarEntry]:
    registrations = db.session.scalars(
        statement.options(
            joinedload(Registration.event).joinedload(Event.organisation),
            selectinload(Registration.sessions),
        ).order_by(Event.starts_at, Registration.id)
    )
    context = EntryContext()
    return [entry for registration in registrations for entry in registration_entries(registration, context)]


def personal_feed(feed: CalendarFeed, now: datetime | None = None) -> FeedSpec:
    """The feed of ``feed``'s person."""
    statement = _personal_statement(feed.email, now or now_utc())
    info = CalendarInfo(
        name=_("Mes inscriptions – %(site)s", site=_site_name()),
        description=_("Les événements auxquels vous êtes inscrit·e (%(site)s)", site=_site_name()),
        timezone=_site_zone(),
    )
    return FeedSpec(
        key=f"person:{feed.id}",
        info=info,
        filename="mes-inscriptions.ics",
        fingerprint=lambda: _personal_fingerprint(statement),
        entries=lambda: _personal_entries(statement),
        private=True,
    )


def registration_calendar(registration: Registration) -> bytes:
    """The .ics attached to a person's e-mails: the event and their sessions."""
    event = registration.event
    info = CalendarInfo(
        name=event.title,
        description=_("Votre inscription (%(site)s)", site=_site_name()),
        timezone=_site_zone(),
    )
    return build_calendar(info, registration_entries(registration))
