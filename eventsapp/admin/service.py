"""Read models of the back-office pages: what the dashboard, the check-in
list and the coordination pages show, each in a few grouped queries.

Everything is scoped by an organisation id given by the caller (the current
organisation, from ``admin.access``); nothing here decides who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from eventsapp.catalog.models import Campaign, Event
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.registrations.models import SEAT_HOLDING_STATUSES, Registration, RegistrationStatus

# The check-in list keeps an event a day after its end (late entries).
CHECKIN_GRACE = timedelta(days=1)
# Events of other organisations a coordinator sees: never their drafts.
COORDINATOR_VISIBLE = (EventStatus.SUBMITTED, EventStatus.PUBLISHED, EventStatus.CANCELLED)


@dataclass(frozen=True)
class EventRow:
    """One line of the dashboard."""

    event: Event
    seats_taken: int  # confirmed and pending (double opt-in) seats
    waitlisted: int  # seats on the waiting list

    @property
    def places_label(self) -> str:
        if self.event.capacity is None:
            return str(self.seats_taken)
        return f"{self.seats_taken} / {self.event.capacity}"


@dataclass(frozen=True)
class Dashboard:
    upcoming: list[EventRow]
    past: list[EventRow]


def _seat_counts(event_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not event_ids:
        return {}
    held = sa.func.coalesce(
        sa.func.sum(sa.case((Registration.status.in_(SEAT_HOLDING_STATUSES), Registration.seats), else_=0)), 0
    )
    waiting = sa.func.coalesce(
        sa.func.sum(
            sa.case((Registration.status == RegistrationStatus.WAITLISTED, Registration.seats), else_=0)
        ),
        0,
    )
    rows = db.session.execute(
        sa.select(Registration.event_id, held, waiting)
        .where(Registration.event_id.in_(event_ids))
        .group_by(Registration.event_id)
    )
    return {event_id: (int(taken), int(waitlisted)) for event_id, taken, waitlisted in rows}


def dashboard(organisation_id: int, now: datetime | None = None) -> Dashboard:
    """The organisation's events, coming ones first (soonest first), then
    past ones (latest first), with their seat counts."""
    now = now or now_utc()
    events = list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.organisation_id == organisation_id)
            .options(joinedload(Event.campaign))
            .order_by(Event.starts_at, Event.id)
        )
    )
    counts = _seat_counts([event.id for event in events])
    rows = [EventRow(event, *counts.get(event.id, (0, 0))) for event in events]
    upcoming = [row for row in rows if row.event.ends_at >= now]
    past = [row for row in reversed(rows) if row.event.ends_at < now]
    return Dashboard(upcoming=upcoming, past=past)


def dashboard_row(event: Event) -> EventRow:
    """The dashboard's counts for one event."""
    return EventRow(event, *_seat_counts([event.id]).get(event.id, (0, 0)))


def checkin_events(organisation_id: int, now: datetime | None = None) -> list[Event]:
    """Published events of the organisation that are on or to come (and a
    day after), soonest first: what check-in staff may open."""
    now = now or now_utc()
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(
                Event.organisation_id == organisation_id,
                Event.status == EventStatus.PUBLISHED,
                Event.ends_at >= now - CHECKIN_GRACE,
            )
            .order_by(Event.starts_at, Event.id)
        )
    )


def coordinated_campaigns(organisation_id: int) -> list[Campaign]:
    """Campaigns the organisation coordinates, latest first."""
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.coordinator_id == organisation_id)
            .order_by(Campaign.starts_on.desc(), Campaign.id)
        )
    )


@dataclass(frozen=True)
class CampaignOverview:
    """What a coordinator sees of a campaign: events submitted or public,
    and figures; never a registrant."""

    campaign: Campaign
    events: list[Event]
    by_status: dict[EventStatus, int]
    seats_taken: int


def campaign_overview(campaign: Campaign) -> CampaignOverview:
    events = list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.campaign_id == campaign.id, Event.status.in_(COORDINATOR_VISIBLE))
            .options(joinedload(Event.organisation))
            .order_by(Event.starts_at, Event.id)
        )
    )
    by_status = {status: 0 for status in COORDINATOR_VISIBLE}
    for event in events:
        by_status[event.status] += 1
    counts = _seat_counts([event.id for event in events])
    return CampaignOverview(
        campaign=campaign,
        events=events,
        by_status=by_status,
        seats_taken=sum(taken for taken, _waiting in counts.values()),
    )
