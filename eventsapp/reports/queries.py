"""The reports' SQL: read-only aggregates, each one statement, on SQLite
and PostgreSQL alike. Nothing here loops over registrations in Python: the
database sums seats and returns one row per event and participant category
(or per quarter-hour of sign-ups). Per workshop: ``session_queries``; which
campaigns: ``campaigns``.

Definitions (README, "Figures"; ``figures.Figures``):

- a registration counts its seats in ``registered`` whatever its status,
  and in exactly one of confirmed / pending / waitlisted / cancelled
  (expired sign-ups count as cancelled); anonymised rows count like any
  other (erasure keeps seats, category and status);
- a registration's people present are the largest ``checkins.seats`` among
  its check-ins (at the door or at any one session: a person who went to
  three workshops is one person at the event); its no-shows, when it is
  confirmed, are its seats minus those present (never below zero);
- walk-ins of a category are summed per place (the door or one session),
  a negative net count read as zero, and the event keeps the largest place
  (the door count, or the busiest session when the door was not counted);
- check-in was used at an event when at least one of its registrations has
  a check-in.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from eventsapp.catalog.models import Event
from eventsapp.catalog.vocabulary import EventKind, EventStatus
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.models import (
    ParticipantCategory,
    Registration,
    RegistrationStatus,
)
from eventsapp.reports.figures import SeatCounts
from eventsapp.reports.scope import ReportScope

CANCELLED_STATUSES = (RegistrationStatus.CANCELLED, RegistrationStatus.EXPIRED)
# Sign-ups are bucketed by quarter-hour in SQL (every time zone's offset is
# a multiple of 15 minutes), then by day in the site's time zone in Python:
# exact on both databases without per-row time-zone arithmetic.
BUCKET_SECONDS = 900


class EventInfo(NamedTuple):
    """What a report shows of an event (all of it public information). A
    named tuple: a campaign's report makes ten thousand of them."""

    id: int
    title: str
    slug: str
    kind: EventKind
    status: EventStatus
    department: str
    commune: str
    organisation_id: int
    organisation_name: str
    campaign_id: int | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int | None

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED


def _seat_sum(condition: sa.ColumnElement[bool] | None = None, value: sa.ColumnElement | None = None):
    # FILTER (WHERE …) skips the rows instead of adding zeros (PostgreSQL,
    # and SQLite since 3.30).
    value = Registration.seats if value is None else value
    total = sa.func.sum(value) if condition is None else sa.func.sum(value).filter(condition)
    return sa.func.coalesce(total, 0)


def count_columns(present: sa.ColumnElement, used: sa.ColumnElement | None = None) -> list[sa.ColumnElement]:
    """The sums of ``SeatCounts``; ``used`` is a column that is NULL for
    registrations of events where check-in was not used."""
    status, seats = Registration.status, Registration.seats
    kept = sa.case((present.is_(None), 0), (present > seats, seats), else_=present)
    confirmed = status == RegistrationStatus.CONFIRMED
    if used is None:
        used_columns = [sa.literal(0).label("used_confirmed"), sa.literal(0).label("used_no_shows")]
    else:
        used_columns = [
            _seat_sum(sa.and_(confirmed, used.is_not(None))).label("used_confirmed"),
            _seat_sum(sa.and_(confirmed, used.is_not(None)), seats - kept).label("used_no_shows"),
        ]
    return [
        *used_columns,
        _seat_sum().label("registered"),
        _seat_sum(status == RegistrationStatus.CONFIRMED).label("confirmed"),
        _seat_sum(status == RegistrationStatus.PENDING).label("pending"),
        _seat_sum(status == RegistrationStatus.WAITLISTED).label("waitlisted"),
        _seat_sum(status.in_(CANCELLED_STATUSES)).label("cancelled"),
        sa.func.coalesce(sa.func.sum(present), 0).label("checked_in"),
        sa.func.count(present).label("checked_registrations"),
        _seat_sum(status == RegistrationStatus.CONFIRMED, seats - kept).label("no_shows"),
    ]


# The sums of a registrations' aggregate, in SeatCounts' order.
COUNT_NAMES = tuple(field.name for field in fields(SeatCounts))


def seat_counts(row: sa.Row) -> SeatCounts:
    return SeatCounts(
        registered=int(row.registered),
        confirmed=int(row.confirmed),
        pending=int(row.pending),
        waitlisted=int(row.waitlisted),
        cancelled=int(row.cancelled),
        checked_in=int(row.checked_in),
        checked_registrations=int(row.checked_registrations),
        no_shows=int(row.no_shows),
        used_confirmed=int(row.used_confirmed),
        used_no_shows=int(row.used_no_shows),
    )


def _read(statement: sa.Executable) -> sa.CursorResult:
    """Run a report's statement on the session's connection as plain Core:
    its rows are tuples of columns, without the ORM's per-row loading (a
    campaign has about 10,000 of them)."""
    return db.session.connection().execute(statement)


def events_in_scope(scope: ReportScope) -> list[EventInfo]:
    """The scope's events with what the tables show, by start."""
    rows = _read(
        sa.select(
            Event.id,
            Event.title,
            Event.slug,
            Event.kind,
            Event.status,
            Event.department,
            Event.commune,
            Event.organisation_id,
            Organisation.name.label("organisation_name"),
            Event.campaign_id,
            Event.starts_at,
            Event.ends_at,
            Event.timezone,
            Event.capacity,
        )
        .join(Organisation, Organisation.id == Event.organisation_id)
        .where(*scope.conditions())
        .order_by(Event.starts_at, Event.id)
    )
    # The statement selects EventInfo's fields in its order.
    return [EventInfo._make(row) for row in rows]


@dataclass(frozen=True)
class RegistrationTotals:
    """What one pass over the scope's registrations gives:

    - ``by_event``: every event's counts (cancelled events included);
    - ``by_category``: per participant category, over the events that are
      not cancelled; ``used_*`` only over events where check-in was used;
    - ``signups``: ``signups_by_quarter_hour``.
    """

    by_event: dict[int, SeatCounts]
    by_category: dict[ParticipantCategory, SeatCounts]
    signups: list[tuple[int, int]]


def registration_totals(scope: ReportScope) -> RegistrationTotals:
    """The registrations' sums for a report: one ``GROUP BY`` event and
    category over the registrations with their check-ins, then (in SQL on
    PostgreSQL with ``GROUPING SETS``, here on SQLite, which has none) its
    few thousand rows summed per event and per category; and the sign-ups
    per quarter-hour.

    A registration's people present are read from its door check-in (at
    most one, a unique index) and the largest of its session check-ins
    (usually none): joining the door row directly instead of aggregating
    every check-in first keeps a campaign of a million registrations to one
    parallel hash join (``bench/reports.py``).
    """
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # On a large campaign the planner's cost crosses PostgreSQL's JIT
        # thresholds, and compiling (inlining, optimising) the plan takes
        # longer than running it (1.4 s of 2.9 s in bench/reports.py).
        # SET LOCAL: for this read-only transaction only.
        db.session.execute(sa.text("SET LOCAL jit = off"))
        # The sign-ups curve groups a campaign's registrations into a few
        # thousand quarter-hours: the default cost of passing rows between
        # parallel workers (0.1 each) keeps it on one core, twice slower
        # (bench/reports.py). A reporting transaction may use the machine.
        db.session.execute(sa.text("SET LOCAL parallel_tuple_cost = 0.01"))
        # With the default random_page_cost (4, for spinning disks) the
        # planner reads the whole registrations table for the curve rather
        # than its covering index (ix_registrations_event_id_created_at_seats,
        # a fifth of the size): 640 ms against 350 ms in bench/reports.py.
        # 1.1 is the usual value for SSDs and cached data.
        db.session.execute(sa.text("SET LOCAL random_page_cost = 1.1"))
    event_ids = scope.event_ids_select()
    door = aliased(CheckIn, name="door")
    sessions = (
        sa.select(CheckIn.registration_id, sa.func.max(CheckIn.seats).label("present"))
        .where(CheckIn.event_id.in_(event_ids), CheckIn.session_id.is_not(None))
        .group_by(CheckIn.registration_id)
        .subquery("session_present")
    )
    present = sa.case(
        (door.seats.is_(None), sessions.c.present),
        (sessions.c.present.is_(None), door.seats),
        (door.seats > sessions.c.present, door.seats),
        else_=sessions.c.present,
    )
    # Events where check-in was used: one index probe per event (EXISTS),
    # not a scan of every check-in.
    used = (
        sa.select(Event.id.label("event_id"))
        .where(*scope.conditions(), sa.exists().where(CheckIn.event_id == Event.id))
        .subquery("used")
    )
    cancelled = Event.status == EventStatus.CANCELLED
    counts = {column.name: column for column in count_columns(present, used.c.event_id)}

    def joined(*columns: sa.ColumnElement) -> sa.Select:
        """The scope's registrations with their event and check-ins."""
        return (
            sa.select(*columns, *(counts[name] for name in COUNT_NAMES))
            .select_from(Registration)
            .join(Event, Event.id == Registration.event_id)
            .outerjoin(door, sa.and_(door.registration_id == Registration.id, door.session_id.is_(None)))
            .outerjoin(sessions, sessions.c.registration_id == Registration.id)
            .outerjoin(used, used.c.event_id == Registration.event_id)
            .where(*scope.conditions())
        )

    by_event: dict[int, SeatCounts] = {}
    by_category: dict[ParticipantCategory, SeatCounts] = {}
    if postgresql:
        # One aggregate for both: GROUPING SETS per event and per category.
        # PostgreSQL hashes it in one process, over the joined rows the
        # parallel workers produce; grouping by event and category in the
        # workers first (~90,000 partial groups each, to sort and merge)
        # then summing those was slower: 2.5 s against 1.85 s in
        # bench/reports.py. The sums are bigint: plain ints, in SeatCounts'
        # order.
        statement = joined(
            sa.func.grouping(Registration.event_id).label("per_category"),
            Registration.event_id,
            sa.type_coerce(Registration.category, sa.String).label("category"),
            cancelled.label("event_cancelled"),
        ).group_by(
            sa.func.grouping_sets(
                sa.tuple_(Registration.event_id), sa.tuple_(Registration.category, cancelled)
            )
        )
        for per_category, event_id, category, event_cancelled, *sums in _read(statement).all():
            if not per_category:
                by_event[event_id] = SeatCounts(*sums)
            elif not event_cancelled:
                by_category[ParticipantCategory(category)] = SeatCounts(*sums)
    else:
        statement = joined(
            Registration.event_id, Registration.category, cancelled.label("event_cancelled")
        ).group_by(Registration.event_id, Registration.category, cancelled)
        for row in db.session.execute(statement):
            row_counts = seat_counts(row)
            by_event[row.event_id] = by_event.get(row.event_id, SeatCounts()) + row_counts
            if not row.event_cancelled:
                by_category[row.category] = by_category.get(row.category, SeatCounts()) + row_counts
    return RegistrationTotals(by_event, by_category, signups_by_quarter_hour(scope))


def walk_in_totals(scope: ReportScope) -> tuple[dict[int, int], dict[ParticipantCategory, int]]:
    """Walk-ins per event, and per category over the events not cancelled
    (see the module's docstring for how places are combined). PostgreSQL
    sums per event and per category with ``GROUPING SETS``; SQLite here."""
    place = sa.func.coalesce(WalkIn.session_id, 0)
    per_place = (
        sa.select(
            WalkIn.event_id,
            WalkIn.category,
            place.label("place"),
            sa.func.sum(WalkIn.count).label("net"),
        )
        .where(WalkIn.event_id.in_(scope.event_ids_select()))
        .group_by(WalkIn.event_id, WalkIn.category, place)
        .subquery("per_place")
    )
    net = sa.case((per_place.c.net < 0, 0), else_=per_place.c.net)
    per_category = (
        sa.select(
            per_place.c.event_id,
            sa.type_coerce(per_place.c.category, sa.String).label("category"),
            (Event.status == EventStatus.CANCELLED).label("event_cancelled"),
            sa.func.max(net).label("people"),
        )
        .join(Event, Event.id == per_place.c.event_id)
        .group_by(per_place.c.event_id, per_place.c.category, Event.status)
    )
    by_event: dict[int, int] = {}
    by_category: dict[ParticipantCategory, int] = {}
    if db.session.get_bind().dialect.name == "postgresql":
        inner = per_category.subquery("per_category")
        statement = sa.select(
            inner.c.event_id,
            inner.c.category,
            inner.c.event_cancelled,
            sa.func.sum(inner.c.people).label("people"),
        ).group_by(
            sa.func.grouping_sets(
                sa.tuple_(inner.c.event_id), sa.tuple_(inner.c.category, inner.c.event_cancelled)
            )
        )
        for row in _read(statement):
            if row.event_id is not None:
                by_event[row.event_id] = int(row.people)
            elif not row.event_cancelled:
                by_category[ParticipantCategory(row.category)] = int(row.people)
        return by_event, by_category
    for row in db.session.execute(per_category):
        by_event[row.event_id] = by_event.get(row.event_id, 0) + int(row.people)
        if not row.event_cancelled:
            category = ParticipantCategory(row.category)
            by_category[category] = by_category.get(category, 0) + int(row.people)
    return by_event, by_category


def signups_by_quarter_hour(scope: ReportScope) -> list[tuple[int, int]]:
    """(quarter-hour since the epoch, seats signed up) for the scope's
    events that are not cancelled, by the registrations' creation time."""
    if db.session.get_bind().dialect.name == "postgresql":
        # date_bin() (PostgreSQL 14+) works on the timestamp itself; the
        # epoch's date_part() divided in SQL was a third slower here.
        bucket = sa.func.date_bin(
            sa.literal_column(f"interval '{BUCKET_SECONDS} seconds'"),
            Registration.created_at,
            sa.literal_column("timestamptz '1970-01-01 00:00:00+00'"),
        ).label("bucket")
    else:
        bucket = (
            sa.cast(sa.func.strftime("%s", Registration.created_at), sa.Integer) / BUCKET_SECONDS
        ).label("bucket")
    statement = (
        sa.select(bucket, sa.func.sum(Registration.seats).label("seats"))
        .where(
            Registration.event_id.in_(scope.event_ids_select().where(Event.status != EventStatus.CANCELLED))
        )
        .group_by(bucket)
        .order_by(bucket)
    )
    return [
        (
            int(row.bucket.timestamp()) // BUCKET_SECONDS
            if isinstance(row.bucket, datetime)
            else int(row.bucket),
            int(row.seats),
        )
        for row in db.session.execute(statement)
    ]
