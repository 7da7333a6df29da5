"""Public figures of a campaign (``/campaigns/<slug>/chiffres`` and
``/api/v1/campaigns/<slug>/stats``): aggregates only, built from the same
report as the coordinator's dashboard, then made safe to publish.

- Only counts of events and of people (confirmed seats, attendance), by
  département, kind of event and participant category: never an event's own
  figures, a name, an e-mail, a structure of a registrant, or a rate.
- Statistical disclosure control: a count of people from 1 to 4 is hidden
  (``None``, shown "< 5"); 0 is shown (it is about nobody). When a column of
  a breakdown would have exactly one hidden cell, the smallest other
  non-zero cell is hidden too, so that the hidden one cannot be found by
  subtracting the others from the total. Counts of events are not about
  people and are always shown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eventsapp.catalog.models import Campaign
from eventsapp.catalog.vocabulary import EventKind
from eventsapp.registrations.models import ParticipantCategory
from eventsapp.reports.report import Group, build_report
from eventsapp.reports.scope import ReportScope
from eventsapp.territories.departments import department_name

THRESHOLD = 5
PEOPLE_FIELDS = ("confirmed", "attendance")


def hidden(value: int) -> int | None:
    """A count of people as it may be published: None when 1 to 4."""
    return None if 0 < value < THRESHOLD else value


def _protect(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Primary and complementary suppression, column by column."""
    for name in PEOPLE_FIELDS:
        raw = [row[name] for row in rows]
        for row in rows:
            row[name] = hidden(row[name])
        if sum(1 for row in rows if row[name] is None) == 1:
            candidates = [
                (value, index)
                for index, value in enumerate(raw)
                if rows[index][name] is not None and value > 0
            ]
            if candidates:
                rows[min(candidates)[1]][name] = None
    return rows


def _row(group: Group, with_events: bool = True) -> dict[str, Any]:
    row: dict[str, Any] = {"events": group.figures.events} if with_events else {}
    row.update(confirmed=group.figures.confirmed, attendance=group.figures.attendance)
    return row


def public_figures(campaign: Campaign, zone: str = "Europe/Paris") -> dict[str, Any]:
    """The campaign's public figures as a JSON-ready dict (the documented
    shape of ``/api/v1/campaigns/<slug>/stats``, README "Public figures")."""
    report = build_report(ReportScope(zone=zone, campaign_ids=(campaign.id,)))
    departments = _protect(
        [{"code": g.key, "name": department_name(g.key) or g.key, **_row(g)} for g in report.by_department]
    )
    kinds = _protect(
        [{"kind": str(g.key), "label": EventKind(g.key).label, **_row(g)} for g in report.by_kind]
    )
    categories = _protect(
        [
            {"category": str(g.key), "label": ParticipantCategory(g.key).label, **_row(g, with_events=False)}
            for g in report.by_category
            if g.figures.confirmed or g.figures.attendance
        ]
    )
    return {
        "campaign": {
            "slug": campaign.slug,
            "name": campaign.name,
            "series": campaign.series,
            "starts_on": campaign.starts_on.isoformat(),
            "ends_on": campaign.ends_on.isoformat(),
            "coordinator": campaign.coordinator.name,
        },
        "threshold": THRESHOLD,
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "totals": {
            "events": report.totals.events,
            "cancelled_events": report.cancelled.events,
            "confirmed": hidden(report.totals.confirmed),
            "attendance": hidden(report.totals.attendance),
        },
        "by_department": departments,
        "by_kind": kinds,
        "by_category": categories,
    }
