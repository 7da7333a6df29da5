"""Catalog rules: what the public agenda shows, and how events are created.

Only published events are listed; a cancelled event keeps its public page (so
people who saw it learn it is cancelled); drafts and submitted events are
never public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from slugify import slugify
from sqlalchemy.orm import joinedload, selectinload

from eventsapp.catalog.availability import Availability, availability_for_events
from eventsapp.catalog.filters import AgendaFilters
from eventsapp.catalog.models import Campaign, Event, EventAudience
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation
from eventsapp.text import fold

PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


@dataclass
class AgendaPage:
    """One page of the agenda, with each event's availability."""

    pagination: Pagination
    availability: dict[int, Availability]

    @property
    def events(self) -> list[Event]:
        return list(self.pagination.items)


def _start_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def agenda_statement(
    filters: AgendaFilters,
    now: datetime | None = None,
    *,
    visible: sa.ColumnElement[bool] | None = None,
    ended_after: datetime | None = None,
) -> sa.Select:
    """The SELECT of published events matching ``filters``, in date order.

    Without a start date the agenda shows what has not ended yet. Dates are
    whole days in the site's time zone. Calendar feeds pass ``visible`` (in
    place of "published": they keep recently cancelled events) and
    ``ended_after`` (in place of now: they keep the recent past).
    """
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    statement = sa.select(Event).where(Event.status == EventStatus.PUBLISHED if visible is None else visible)

    if filters.date_from:
        statement = statement.where(Event.ends_at >= _start_of_local_day(filters.date_from, zone))
    else:
        statement = statement.where(Event.ends_at >= (ended_after or now or now_utc()))
    if filters.date_to:
        end = _start_of_local_day(filters.date_to + timedelta(days=1), zone)
        statement = statement.where(Event.starts_at < end)
    if filters.campaign:
        campaign_id = sa.select(Campaign.id).where(Campaign.slug == filters.campaign).scalar_subquery()
        statement = statement.where(Event.campaign_id == campaign_id)
    if filters.department:
        statement = statement.where(Event.department == filters.department)
    if filters.commune:
        statement = statement.where(Event.commune_key == fold(filters.commune))
    if filters.kind:
        statement = statement.where(Event.kind == filters.kind)
    if filters.audience:
        statement = statement.where(
            sa.exists().where(EventAudience.event_id == Event.id, EventAudience.audience == filters.audience)
        )
    if filters.text:
        # Correlated on the events only: a statement that also joins the
        # organisations (the calendar feeds' entries) must not swallow the
        # subquery's own FROM.
        organisation_name = (
            sa.select(Organisation.name_folded)
            .where(Organisation.id == Event.organisation_id)
            .correlate(Event)
            .scalar_subquery()
        )
        # Every word must appear, in the event's text or its organiser's name.
        for word in fold(filters.text).split()[:8]:
            pattern = f"%{word}%"
            statement = statement.where(
                sa.or_(Event.search_text.like(pattern), organisation_name.like(pattern))
            )
    return statement.order_by(Event.starts_at, Event.id)


def search_agenda(
    filters: AgendaFilters, per_page: int | None = None, now: datetime | None = None
) -> AgendaPage:
    """One page of the agenda for ``filters``, with a constant number of queries."""
    statement = agenda_statement(filters, now).options(
        joinedload(Event.organisation), joinedload(Event.campaign)
    )
    pagination = db.paginate(
        statement,
        page=filters.page,
        per_page=per_page or current_app.config["AGENDA_PAGE_SIZE"],
        error_out=False,
        count=True,
    )
    return AgendaPage(pagination, availability_for_events(pagination.items, now))


def search_campaign_agenda(
    campaign: Campaign, filters: AgendaFilters, now: datetime | None = None
) -> AgendaPage:
    """The campaign's agenda: upcoming events while it runs, its whole
    programme once it is over (a past Mois de l'ESS is not an empty page)."""
    filters.campaign = campaign.slug
    today = (now or now_utc()).astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    if filters.date_from is None and campaign.ends_on < today:
        filters.date_from = campaign.starts_on
    return search_agenda(filters, now=now)


def get_public_event(slug: str, *, with_listing_details: bool = True) -> Event:
    """The event with this slug if the public may see it, else ``NotFound``.
    ``with_listing_details=False`` skips the eager loads of its audiences and
    themes (still loaded lazily if read), for pages that do not show them."""
    options = [joinedload(Event.organisation), joinedload(Event.campaign), selectinload(Event.sessions)]
    if with_listing_details:
        options += [selectinload(Event.audience_links), selectinload(Event.themes)]
    event = db.session.scalar(
        sa.select(Event).where(Event.slug == slug, Event.status.in_(PUBLIC_STATUSES)).options(*options)
    )
    if event is None:
        raise NotFound(slug)
    return event


def get_campaign(slug: str) -> Campaign:
    """The campaign with this slug, else ``NotFound`` (campaigns are public)."""
    campaign = db.session.scalar(
        sa.select(Campaign).where(Campaign.slug == slug).options(joinedload(Campaign.coordinator))
    )
    if campaign is None:
        raise NotFound(slug)
    return campaign


def list_campaigns() -> list[Campaign]:
    """All campaigns, most recent first, for the agenda's filter."""
    return list(db.session.scalars(sa.select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.name)))


def unique_slug(model: type[Any], text: str, max_length: int = 200) -> str:
    """A slug for ``text`` not yet used by ``model`` ("journee-ess", "journee-ess-2", …)."""
    base = slugify(text, max_length=max_length, word_boundary=True) or "element"
    taken = set(
        db.session.scalars(
            sa.select(model.slug).where(sa.or_(model.slug == base, model.slug.like(f"{base}-%")))
        )
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def create_event(organisation: Organisation, *, with_default_reminders: bool = True, **fields: Any) -> Event:
    """A new event of ``organisation`` with a unique slug and the default
    reminders (J-7 and J-1 at 9:00); flushed, not committed.

    ``audiences`` is a list of ``Audience``; an explicit ``slug`` is kept if free.
    """
    audiences = fields.pop("audiences", [])
    slug = fields.pop("slug", None) or unique_slug(Event, fields["title"])
    fields.setdefault("timezone", current_app.config["TIMEZONE"])
    if fields.get("ends_at") and fields.get("starts_at") and fields["ends_at"] <= fields["starts_at"]:
        raise ValueError("an event must end after it starts")
    event = Event(organisation=organisation, slug=slug, **fields)
    event.audiences.extend(audiences)
    if event.status == EventStatus.PUBLISHED and event.published_at is None:
        event.published_at = now_utc()
    db.session.add(event)
    db.session.flush()
    if with_default_reminders:
        from eventsapp.reminders.service import add_default_rules  # imports the catalog

        add_default_rules(event)
    return event


# Changing and cancelling events ---------------------------------------------------

# What makes calendar clients move an event: its time and its place.
TIME_FIELDS = ("starts_at", "ends_at", "timezone")
PLACE_FIELDS = ("venue_name", "venue_address", "venue_postcode", "commune", "online_url")
# What ``update_event`` may not change: identity, status and bookkeeping have
# their own services (``cancel_event``, publication) or never change.
_PROTECTED_FIELDS = frozenset(
    {"id", "slug", "status", "sequence", "created_at", "updated_at", "published_at", "cancelled_at"}
)


@dataclass
class EventChanges:
    """What a change did to an event: which kinds of fields changed, and the
    values they had before (for the notices a later issue sends)."""

    time: bool = False
    place: bool = False
    other: bool = False
    status: bool = False
    old_values: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.time or self.place or self.other or self.status

    @property
    def moved(self) -> bool:
        """Whether the time or the place changed (people must be told)."""
        return self.time or self.place


def raise_sequence(event: Event) -> None:
    """A new iCalendar SEQUENCE for ``event``: calendars replace their copy,
    and the change notices are keyed by it. Take the event's lock first
    (``locking.lock_event``): two changes at once must get two numbers."""
    event.sequence = (event.sequence or 0) + 1


def update_event(event: Event, **changes: Any) -> EventChanges:
    """Apply ``changes`` (column names and values) to ``event``, raising the
    SEQUENCE when its time or place changes; flushed, not committed.

    The one place where an event's time and place change (with
    ``cancel_event`` for its status), so that calendars, notices and
    reminders follow. Raises ``ValueError`` for an unknown or protected field
    or when the event would not end after it starts.
    """
    unknown = set(changes) - set(Event.__table__.columns.keys())
    protected = set(changes) & _PROTECTED_FIELDS
    if unknown or protected:
        raise ValueError(f"cannot change {', '.join(sorted(unknown | protected))} with update_event")
    starts_at = changes.get("starts_at", event.starts_at)
    ends_at = changes.get("ends_at", event.ends_at)
    if ends_at <= starts_at:
        raise ValueError("an event must end after it starts")

    result = EventChanges()
    for name, value in changes.items():
        old = getattr(event, name)
        if old == value:
            continue
        result.old_values[name] = old
        setattr(event, name, value)
        if name in TIME_FIELDS:
            result.time = True
        elif name in PLACE_FIELDS:
            result.place = True
        else:
            result.other = True
    if result.moved:
        raise_sequence(event)
    db.session.flush()
    _follow_event_change(event, result)
    return result


def _follow_event_change(event: Event, result: EventChanges) -> None:
    """Reminders move with the event; people are told it moved or was cancelled."""
    # Imported here: reminders and notifications import the catalog.
    from eventsapp.reminders.notices import notify_event_cancelled, notify_event_changed
    from eventsapp.reminders.service import reschedule_event_reminders

    if result.time:
        reschedule_event_reminders(event)
    if result.status and event.status == EventStatus.CANCELLED:
        notify_event_cancelled(event)
    elif result.moved and event.status == EventStatus.PUBLISHED:
        notify_event_changed(event, result)


def cancel_event(event: Event, reason: str) -> EventChanges:
    """Cancel ``event`` with a reason shown to the public; it stays public (its
    page says it is cancelled, feeds mark it CANCELLED). Flushed, not
    committed. Cancelling a cancelled event changes nothing."""
    result = EventChanges()
    if event.status == EventStatus.CANCELLED:
        return result
    result.status = True
    result.old_values = {
        "status": event.status,
        "cancelled_at": event.cancelled_at,
        "cancellation_reason": event.cancellation_reason,
    }
    event.status = EventStatus.CANCELLED
    event.cancelled_at = now_utc()
    event.cancellation_reason = reason.strip()
    raise_sequence(event)
    db.session.flush()
    _follow_event_change(event, result)
    return result
