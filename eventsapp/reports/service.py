"""What the reports' pages show, assembled from ``queries``, ``session_queries`` and ``report``:
an event's figures panel, and the dashboards (a campaign for its
coordinator, an organisation's own events). Read-only: nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from eventsapp.catalog.models import Campaign, Event
from eventsapp.reports import session_queries
from eventsapp.reports.figures import Figures, figures_of_counts
from eventsapp.reports.report import Edition, Report, build_report, year_on_year
from eventsapp.reports.scope import ReportScope


@dataclass(frozen=True)
class SessionLine:
    title: str
    starts_at: datetime
    figures: Figures


@dataclass(frozen=True)
class EventFigures:
    """The panel of an event's back-office page."""

    event: Event
    figures: Figures
    sessions: list[SessionLine]


def event_figures(event: Event) -> EventFigures:
    """An event's figures and its sessions' (five statements)."""
    report = build_report(ReportScope(event_ids=(event.id,)).narrowed(zone=event.timezone))
    line = next((line for line in report.events if line.info.id == event.id), None)
    figures = line.figures if line is not None else Figures()
    sessions = [
        SessionLine(
            title=counts.title,
            starts_at=counts.starts_at,
            figures=figures_of_counts(counts.counts, counts.walk_ins, counts.capacity, counts.checkin_used),
        )
        for counts in session_queries.session_counts(event.id)
    ]
    return EventFigures(event=event, figures=figures, sessions=sessions)


@dataclass
class Dashboard:
    """A dashboard: its report, and what surrounds it."""

    title: str
    report: Report
    campaign: Campaign | None = None
    editions: list[Edition] = field(default_factory=list)


def campaign_dashboard(campaign: Campaign, scope: ReportScope) -> Dashboard:
    """A campaign's figures, every organisation's events, for its coordinator."""
    report = build_report(scope.narrowed(campaign_ids=(campaign.id,), organisation_id=None))
    return Dashboard(
        title=campaign.name, report=report, campaign=campaign, editions=year_on_year(campaign, report)
    )


def organisation_dashboard(
    organisation_id: int, organisation_name: str, scope: ReportScope, campaign: Campaign | None
) -> Dashboard:
    """The organisation's own events, in one campaign or all of them."""
    campaign_ids = (campaign.id,) if campaign is not None else None
    report = build_report(scope.narrowed(organisation_id=organisation_id, campaign_ids=campaign_ids))
    editions = year_on_year(campaign, report) if campaign is not None else []
    title = f"{organisation_name} · {campaign.name}" if campaign is not None else organisation_name
    return Dashboard(title=title, report=report, campaign=campaign, editions=editions)
