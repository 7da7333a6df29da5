"""A report: the figures of a set of events (a campaign, an organisation's
events, one event), rolled up by département, commune, kind, organisation,
participant category and ISO week, with the sign-ups curve.

SQL sums the registrations (``queries``); this module adds up the few
thousand per-event rows it returns, so every breakdown is built from the
same per-event numbers and all of them add up to the totals.

Time zones: an event's week is the ISO week of its start *in the event's own
time zone* (the date on its poster); the sign-ups curve counts each sign-up
on its day *in the site's time zone* (``TIMEZONE``), as a sign-up is a
moment, not a place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from eventsapp.registrations.models import ParticipantCategory
from eventsapp.reports import campaigns, queries
from eventsapp.reports.figures import Figures, SeatCounts, figures_of_counts
from eventsapp.reports.queries import EventInfo
from eventsapp.reports.scope import ReportScope


class EventLine(NamedTuple):
    """An event of a report and its figures (a named tuple: thousands)."""

    info: EventInfo
    figures: Figures
    local_start: date

    @property
    def week(self) -> tuple[int, int]:
        year, week, _day = self.local_start.isocalendar()
        return year, week


@dataclass(frozen=True)
class Group:
    """One line of a breakdown: a key (code, slug, id, (year, week)…) and
    the figures of the events (or category) under it."""

    key: Hashable
    figures: Figures


@dataclass(frozen=True)
class DayPoint:
    day: date
    seats: int
    cumulative: int


@dataclass
class Report:
    scope: ReportScope
    totals: Figures
    cancelled: Figures  # cancelled events, apart: how many, and their sign-ups
    events: list[EventLine]
    by_department: list[Group] = field(default_factory=list)
    by_commune: list[Group] = field(default_factory=list)
    by_kind: list[Group] = field(default_factory=list)
    by_organisation: list[Group] = field(default_factory=list)
    by_category: list[Group] = field(default_factory=list)
    by_week: list[Group] = field(default_factory=list)
    by_department_kind: list[Group] = field(default_factory=list)
    curve: list[DayPoint] = field(default_factory=list)
    organisation_names: dict[int, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.events

    @property
    def counted_events(self) -> list[EventLine]:
        return [line for line in self.events if not line.info.is_cancelled]


def build_report(scope: ReportScope) -> Report:
    """The report of ``scope``: three SQL statements on PostgreSQL (four on
    SQLite), then sums over the events."""
    infos = queries.events_in_scope(scope)
    totals = queries.registration_totals(scope)
    event_walk_ins, category_walk_ins = queries.walk_in_totals(scope)

    lines: list[EventLine] = []
    zones: dict[str, ZoneInfo] = {}
    for info in infos:
        own = totals.by_event.get(info.id, SeatCounts())
        figures = figures_of_counts(
            own, event_walk_ins.get(info.id, 0), info.capacity, checkin_used=own.checked_registrations > 0
        )
        zone = zones.setdefault(info.timezone, ZoneInfo(info.timezone))
        lines.append(
            EventLine(info=info, figures=figures, local_start=info.starts_at.astimezone(zone).date())
        )

    counted = [line for line in lines if not line.info.is_cancelled]
    report = Report(
        scope=scope,
        totals=_sum(line.figures for line in counted),
        cancelled=_sum(line.figures for line in lines if line.info.is_cancelled),
        events=lines,
        organisation_names={line.info.organisation_id: line.info.organisation_name for line in lines},
    )
    report.by_department = _rollup(counted, lambda line: line.info.department)
    report.by_commune = _rollup(counted, lambda line: (line.info.department, line.info.commune))
    report.by_kind = _rollup(counted, lambda line: line.info.kind)
    report.by_organisation = _rollup(counted, lambda line: line.info.organisation_id)
    report.by_week = sorted(_rollup(counted, lambda line: line.week), key=lambda group: group.key)
    report.by_department_kind = sorted(
        _rollup(counted, lambda line: (line.info.department, line.info.kind)), key=lambda group: group.key
    )
    report.by_category = _by_category(totals.by_category, category_walk_ins)
    report.curve = signup_curve(totals.signups, ZoneInfo(scope.zone))
    return report


def _sum(items) -> Figures:  # noqa: ANN001 - any iterable of Figures
    return Figures.total(items)


def _rollup(lines: list[EventLine], key: Callable[[EventLine], Hashable]) -> list[Group]:
    """Groups by ``key``, the largest attendance first, then by key."""
    members: dict[Hashable, list[Figures]] = defaultdict(list)
    for line in lines:
        members[key(line)].append(line.figures)
    groups = {name: Figures.total(figures) for name, figures in members.items()}
    ordered = sorted(
        groups.items(), key=lambda item: (-item[1].attendance, -item[1].registered, str(item[0]))
    )
    return [Group(key=name, figures=figures) for name, figures in ordered]


def _by_category(
    counts: dict[ParticipantCategory, SeatCounts], walk_ins: dict[ParticipantCategory, int]
) -> list[Group]:
    """Per participant category: registrants by their category, walk-ins by
    the category they were counted in, at events not cancelled; no-shows
    over the events where check-in was used (a category has no capacity)."""
    groups = []
    for category in ParticipantCategory:
        if category not in counts and category not in walk_ins:
            continue
        own = counts.get(category, SeatCounts())
        figures = Figures(
            registered=own.registered,
            confirmed=own.confirmed,
            pending=own.pending,
            waitlisted=own.waitlisted,
            cancelled=own.cancelled,
            checked_in=own.checked_in,
            walk_ins=walk_ins.get(category, 0),
            no_shows=own.used_no_shows,
            noshow_base=own.used_confirmed,
        )
        groups.append(Group(key=category, figures=figures))
    return groups


def signup_curve(buckets: list[tuple[int, int]], zone: ZoneInfo) -> list[DayPoint]:
    """Seats signed up per day in ``zone`` and the running total, every day
    from the first sign-up to the last (days without any included)."""
    per_day: dict[date, int] = defaultdict(int)
    for bucket, seats in buckets:
        moment = datetime.fromtimestamp(bucket * queries.BUCKET_SECONDS, UTC)
        per_day[moment.astimezone(zone).date()] += seats
    if not per_day:
        return []
    points: list[DayPoint] = []
    day, last, running = min(per_day), max(per_day), 0
    while day <= last:
        running += per_day.get(day, 0)
        points.append(DayPoint(day=day, seats=per_day.get(day, 0), cumulative=running))
        day += timedelta(days=1)
    return points


@dataclass(frozen=True)
class Edition:
    """One edition of a recurring campaign, for the year-on-year table."""

    campaign_id: int
    name: str
    starts_on: date
    figures: Figures
    cancelled_events: int


def year_on_year(campaign, current: Report | None = None) -> list[Edition]:  # noqa: ANN001 - a Campaign
    """Every edition of ``campaign``'s series (oldest first), with the same
    filters as ``current`` (organisation, département, kind; not the dates,
    which belong to one edition). Empty when the campaign has no series.

    Only the editions the same coordinator ran: another network's campaign
    of the same series (two regions' Mois de l'ESS) is not a coordinator's
    to read. A report narrowed to an organisation (which counts only its
    own events) adds the other editions it took part in."""
    if not campaign.series:
        return []
    base = current.scope if current is not None else ReportScope()
    editions = [
        edition
        for edition in campaigns.campaigns_of_series(campaign.series)
        if base.organisation_id is not None or edition.coordinator_id == campaign.coordinator_id
    ]
    # The current report is reused when it covers the whole edition.
    reuse = current is not None and base.starts_from is None and base.starts_to is None
    others = tuple(edition.id for edition in editions if not (reuse and edition.id == campaign.id))
    lines: list[EventLine] = []
    if others:
        scope = base.narrowed(campaign_ids=others, starts_from=None, starts_to=None, event_ids=None)
        lines = build_report(scope).events
    if reuse and current is not None:
        lines = lines + current.events
    result = []
    for edition in editions:
        own = [line for line in lines if line.info.campaign_id == edition.id]
        if edition.coordinator_id != campaign.coordinator_id and not own:
            continue  # another network's edition without this organisation
        result.append(
            Edition(
                campaign_id=edition.id,
                name=edition.name,
                starts_on=edition.starts_on,
                figures=_sum(line.figures for line in own if not line.info.is_cancelled),
                cancelled_events=sum(1 for line in own if line.info.is_cancelled),
            )
        )
    return result
