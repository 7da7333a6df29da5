"""The figures of an event, a session or any group of events, and the one
place their derived rates are defined (README, "Figures").

A ``Figures`` is a sum: adding the figures of two events gives the figures
of both, and every rate is computed from the sums (never averaged), so a
département's no-show rate is its no-shows over its confirmed seats.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from operator import attrgetter


@dataclass(slots=True)
class Figures:
    """Counts in seats (people), summed over events.

    - ``registered``: seats of every sign-up, whatever became of it
      (= confirmed + pending + waitlisted + cancelled);
    - ``cancelled`` includes sign-ups that expired unconfirmed (double opt-in);
    - ``checked_in``: people marked present, whatever the registration's
      status now (a person cancelled after being checked in did come);
    - ``walk_ins``: people who came without registering;
    - ``no_shows`` / ``noshow_base``: confirmed seats not checked in, and the
      confirmed seats, both only over events where check-in was used;
    - ``capacity`` / ``capacity_confirmed``: the capacities of the events
      that have one, and their confirmed seats (unlimited events are left
      out of the fill rate).
    """

    events: int = 0
    capacity: int | None = None
    registered: int = 0
    confirmed: int = 0
    pending: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    checked_in: int = 0
    walk_ins: int = 0
    no_shows: int = 0
    noshow_base: int = 0
    capacity_confirmed: int = 0
    checkin_events: int = 0

    @property
    def attendance(self) -> int:
        """People who came: checked in + walk-ins."""
        return self.checked_in + self.walk_ins

    @property
    def no_show_rate(self) -> float | None:
        """Confirmed seats not checked in / confirmed seats, over the events
        where check-in was used; None when there is none."""
        return self.no_shows / self.noshow_base if self.noshow_base else None

    @property
    def fill_rate(self) -> float | None:
        """Confirmed seats / capacity, over the events with a capacity."""
        return self.capacity_confirmed / self.capacity if self.capacity else None

    @property
    def checkin_used(self) -> bool:
        return self.checkin_events > 0

    def __add__(self, other: Figures) -> Figures:
        total = Figures()
        total.add(self)
        total.add(other)
        return total

    @classmethod
    def total(cls, items: Iterable[Figures]) -> Figures:
        """The sum of ``items``, column by column in C (``attrgetter``,
        ``zip``, ``sum``): a campaign's report sums ten thousand events
        into a dozen breakdowns."""
        figures = list(items)
        if not figures:
            return cls()
        sums = [sum(column) for column in zip(*map(_SUMMED_GETTER, figures), strict=True)]
        total = cls(**dict(zip(_SUMMED, sums, strict=True)))
        capacities = [capacity for capacity in map(_CAPACITY_GETTER, figures) if capacity is not None]
        total.capacity = sum(capacities) if capacities else None
        return total

    def add(self, other: Figures) -> None:
        """Add ``other`` into these figures (a report adds up thousands of
        events: written out, not with ``dataclasses.fields``)."""
        self.events += other.events
        if other.capacity is not None:
            self.capacity = other.capacity if self.capacity is None else self.capacity + other.capacity
        self.registered += other.registered
        self.confirmed += other.confirmed
        self.pending += other.pending
        self.waitlisted += other.waitlisted
        self.cancelled += other.cancelled
        self.checked_in += other.checked_in
        self.walk_ins += other.walk_ins
        self.no_shows += other.no_shows
        self.noshow_base += other.noshow_base
        self.capacity_confirmed += other.capacity_confirmed
        self.checkin_events += other.checkin_events


# Every count of Figures but the capacity, which is None when no event has one.
_SUMMED = tuple(field.name for field in fields(Figures) if field.name != "capacity")
_SUMMED_GETTER = attrgetter(*_SUMMED)
_CAPACITY_GETTER = attrgetter("capacity")


def figures_of_counts(
    counts: SeatCounts, walk_ins: int, capacity: int | None, checkin_used: bool, events: int = 1
) -> Figures:
    """The figures of one event (or one session, or one event's share of a
    category) from its counts and whether check-in was used there."""
    return Figures(
        events=events,
        capacity=capacity,
        registered=counts.registered,
        confirmed=counts.confirmed,
        pending=counts.pending,
        waitlisted=counts.waitlisted,
        cancelled=counts.cancelled,
        checked_in=counts.checked_in,
        walk_ins=walk_ins,
        no_shows=counts.no_shows if checkin_used else 0,
        noshow_base=counts.confirmed if checkin_used else 0,
        capacity_confirmed=counts.confirmed if capacity is not None else 0,
        checkin_events=1 if checkin_used and events else 0,
    )


@dataclass(frozen=True, slots=True)
class SeatCounts:
    """What one SQL aggregate row says about a set of registrations."""

    registered: int = 0
    confirmed: int = 0
    pending: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    checked_in: int = 0
    checked_registrations: int = 0
    no_shows: int = 0
    # Confirmed seats and no-shows counted only at events where check-in
    # was used (for sums across events, such as a participant category).
    used_confirmed: int = 0
    used_no_shows: int = 0

    def __add__(self, other: SeatCounts) -> SeatCounts:
        return SeatCounts(
            *(getattr(self, field.name) + getattr(other, field.name) for field in fields(SeatCounts))
        )
