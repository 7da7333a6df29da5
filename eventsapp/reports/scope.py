"""Which events a report covers: a campaign (or several: year on year), an
organisation's own events, one event; narrowed by the dashboard's filters
(date range of the events' start, département, kind).

Reports count published events, and cancelled events apart; drafts and
events still awaiting the coordination's approval did not take place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventsapp.catalog.models import Event
from eventsapp.catalog.vocabulary import EventKind, EventStatus

COUNTED_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


@dataclass(frozen=True)
class ReportScope:
    """The events of a report. Dates are whole days in ``zone`` (the site's
    time zone, as in the agenda's filters)."""

    zone: str = "Europe/Paris"
    campaign_ids: tuple[int, ...] | None = None
    organisation_id: int | None = None
    event_ids: tuple[int, ...] | None = None
    starts_from: date | None = None
    starts_to: date | None = None
    department: str | None = None
    kind: EventKind | None = None

    def narrowed(self, **changes: object) -> ReportScope:
        return replace(self, **changes)

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """WHERE conditions on ``events``."""
        conditions: list[sa.ColumnElement[bool]] = [Event.status.in_(COUNTED_STATUSES)]
        if self.campaign_ids is not None:
            conditions.append(Event.campaign_id.in_(self.campaign_ids))
        if self.organisation_id is not None:
            conditions.append(Event.organisation_id == self.organisation_id)
        if self.event_ids is not None:
            conditions.append(Event.id.in_(self.event_ids))
        zone = ZoneInfo(self.zone)
        if self.starts_from is not None:
            conditions.append(Event.starts_at >= _midnight(self.starts_from, zone))
        if self.starts_to is not None:
            conditions.append(Event.starts_at < _midnight(self.starts_to + timedelta(days=1), zone))
        if self.department:
            conditions.append(Event.department == self.department)
        if self.kind is not None:
            conditions.append(Event.kind == self.kind)
        return conditions

    def event_ids_select(self) -> sa.Select:
        """``SELECT events.id`` of the scope, for ``IN (…)`` conditions."""
        return sa.select(Event.id).where(*self.conditions())


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)
