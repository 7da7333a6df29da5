"""Attendance figures on hand-built data where every figure is known in
advance (issue 7, points 1, 2 and 6), on SQLite and PostgreSQL.

The world (``build_world``): campaign K, coordinated by C, with
- E1, a ciné-débat in Laval (53), capacity 50: single seats, a class of 30
  of whom 25 came, a no-show, the waiting list, a cancellation before and
  one *after* check-in, an anonymised person who came, a pending and an
  expired sign-up, walk-ins counted with + and − taps;
- E2, a forum in Le Mans (72) with two sessions, door and session
  check-ins, walk-ins at the door and at sessions (the busiest place wins),
  starting just after midnight in Paris on the Monday after the change to
  winter time (Sunday in UTC);
- E3, a visit in Guyane (973, America/Cayenne), unlimited, no check-in,
  starting on Sunday 3 January 2027 in Cayenne (Monday in Paris and UTC);
- E4, cancelled (apart), E5 a draft (not counted), an event of another
  campaign (not counted); K2025, the previous edition of the series.

Sign-ups are timed around the night of 24–26 October 2026 (the change of
time-zone offset) so that their days in Paris differ from their UTC days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from eventsapp.catalog.vocabulary import EventKind, EventStatus
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.extensions import db
from eventsapp.registrations.models import ParticipantCategory as P
from eventsapp.registrations.models import Registration
from eventsapp.registrations.models import RegistrationStatus as S
from eventsapp.registrations.privacy import anonymise_registration
from eventsapp.reports.figures import Figures
from eventsapp.reports.report import build_report, year_on_year
from eventsapp.reports.scope import ReportScope
from eventsapp.reports.service import event_figures
from tests.factories import (
    CampaignFactory,
    EventFactory,
    OrganisationFactory,
    RegistrationFactory,
    SessionFactory,
)

SERIES = "mois-ess-figures-test"
SECRET_NAME = "Zoé Secrète"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class World:
    campaign: object
    previous: object
    empty: object
    org_a: object
    org_b: object
    events: dict[str, object]
    sessions: dict[str, object]


def _register(event, category, seats, status, created_at, **fields) -> Registration:
    return RegistrationFactory(
        event=event, category=category, seats=seats, status=status, created_at=created_at, **fields
    )


def _check_in(registration, seats, session=None) -> None:
    db.session.add(
        CheckIn(
            event_id=registration.event_id,
            registration_id=registration.id,
            session_id=session and session.id,
            seats=seats,
        )
    )


def _walk_in(event, category, count, session=None) -> None:
    db.session.add(
        WalkIn(event_id=event.id, session_id=session and session.id, category=category, count=count)
    )


def build_world() -> World:
    coordinator = OrganisationFactory(name="CRESS des Tests")
    org_a = OrganisationFactory(name="Club ESS Alpha")
    org_b = OrganisationFactory(name="Coopérative Bêta")
    campaign = CampaignFactory(
        coordinator=coordinator, series=SERIES, slug="mois-ess-test-2026", name="Mois de l'ESS test 2026"
    )
    previous = CampaignFactory(
        coordinator=coordinator,
        series=SERIES,
        slug="mois-ess-test-2025",
        name="Mois de l'ESS test 2025",
        starts_on=date(2025, 11, 1),
        ends_on=date(2025, 11, 30),
    )
    empty = CampaignFactory(coordinator=coordinator, series=None, slug="campagne-vide", name="Campagne vide")
    other = CampaignFactory(coordinator=coordinator, series=None, slug="autre-campagne")

    def event(**fields):
        start = fields.pop("starts_at")
        return EventFactory(starts_at=start, ends_at=start + timedelta(hours=2), **fields)

    e1 = event(
        organisation=org_a,
        campaign=campaign,
        kind=EventKind.CINE_DEBAT,
        department="53",
        commune="Laval",
        capacity=50,
        starts_at=utc(2026, 11, 5, 17, 30),
        max_seats_per_registration=30,
    )
    e2 = event(
        organisation=org_a,
        campaign=campaign,
        kind=EventKind.FORUM,
        department="72",
        commune="Le Mans",
        capacity=100,
        starts_at=utc(2026, 10, 25, 23, 30),
    )
    e3 = event(
        organisation=org_b,
        campaign=campaign,
        kind=EventKind.VISITE,
        department="973",
        commune="Cayenne",
        capacity=None,
        starts_at=utc(2027, 1, 4, 2, 30),
        timezone="America/Cayenne",
    )
    e4 = event(
        organisation=org_a,
        campaign=campaign,
        kind=EventKind.FORUM,
        department="72",
        commune="Le Mans",
        capacity=20,
        starts_at=utc(2026, 11, 10, 9, 0),
        status=EventStatus.CANCELLED,
    )
    e5 = event(
        organisation=org_a,
        campaign=campaign,
        kind=EventKind.ATELIER,
        department="53",
        commune="Laval",
        starts_at=utc(2026, 11, 12, 9, 0),
        status=EventStatus.DRAFT,
    )
    e6 = event(
        organisation=org_a,
        campaign=other,
        kind=EventKind.ATELIER,
        department="53",
        starts_at=utc(2026, 11, 12, 9, 0),
    )
    e7 = event(
        organisation=org_a,
        campaign=previous,
        kind=EventKind.CINE_DEBAT,
        department="53",
        starts_at=utc(2025, 11, 6, 17, 30),
    )
    s1 = SessionFactory(event=e2, title="Plénière", capacity=100)
    s2 = SessionFactory(event=e2, title="Atelier coopératives", capacity=20)

    oct24, oct25, oct25_late = utc(2026, 10, 24, 22, 30), utc(2026, 10, 25, 22, 30), utc(2026, 10, 25, 23, 30)
    r1 = _register(e1, P.GRAND_PUBLIC, 1, S.CONFIRMED, oct24)
    r2 = _register(e1, P.ETUDIANT, 30, S.CONFIRMED, oct24, structure="Lycée Réaumur")
    _register(e1, P.SALARIE_ESS, 2, S.CONFIRMED, oct24)
    _register(e1, P.BENEVOLE, 1, S.WAITLISTED, oct25, waitlist_position=1)
    _register(e1, P.GRAND_PUBLIC, 3, S.CANCELLED, oct25)
    r6 = _register(e1, P.ELU, 1, S.CONFIRMED, oct25)
    r7 = _register(e1, P.GRAND_PUBLIC, 1, S.CONFIRMED, oct25_late, first_name="Zoé", last_name="Secrète")
    _register(e1, P.GRAND_PUBLIC, 2, S.PENDING, oct25_late)
    _register(e1, P.GRAND_PUBLIC, 1, S.EXPIRED, oct25_late)
    _check_in(r1, 1)
    _check_in(r2, 25)
    _check_in(r6, 1)
    _check_in(r7, 1)
    for category, count in ((P.GRAND_PUBLIC, 3), (P.GRAND_PUBLIC, 2), (P.GRAND_PUBLIC, -1), (P.ETUDIANT, 2)):
        _walk_in(e1, category, count)

    oct20 = utc(2026, 10, 20, 10, 0)
    r10 = _register(e2, P.GRAND_PUBLIC, 2, S.CONFIRMED, oct20, sessions=[s1, s2])
    r11 = _register(e2, P.BENEVOLE, 1, S.CONFIRMED, oct20, sessions=[s1])
    _register(e2, P.SALARIE_ESS, 4, S.CONFIRMED, oct20, sessions=[s2])
    _check_in(r10, 2)
    _check_in(r10, 2, s1)
    _check_in(r10, 1, s2)
    _check_in(r11, 1, s1)
    _walk_in(e2, P.GRAND_PUBLIC, 5)
    _walk_in(e2, P.GRAND_PUBLIC, 3, s1)
    _walk_in(e2, P.GRAND_PUBLIC, 7, s2)
    _walk_in(e2, P.PRESSE, 1, s2)
    _walk_in(e2, P.PRESSE, -1, s2)

    _register(e3, P.ENTREPRISE, 3, S.CONFIRMED, utc(2026, 10, 27, 12, 0))
    _register(e4, P.GRAND_PUBLIC, 2, S.CANCELLED, utc(2026, 10, 22, 12, 0))
    _register(e4, P.ELU, 1, S.CANCELLED, utc(2026, 10, 22, 12, 0))
    _register(e5, P.GRAND_PUBLIC, 5, S.CONFIRMED, utc(2026, 10, 22, 12, 0))
    _register(e6, P.GRAND_PUBLIC, 6, S.CONFIRMED, utc(2026, 10, 22, 12, 0))
    _register(e7, P.GRAND_PUBLIC, 10, S.CONFIRMED, utc(2025, 10, 22, 12, 0))
    _walk_in(e7, P.GRAND_PUBLIC, 2)
    db.session.flush()
    # R6 came, then cancelled (a mistake at the desk, a person who left): still came.
    r6.status = S.CANCELLED
    # R7 is erased after the event: the row still counts.
    anonymise_registration(r7.id, now=e1.ends_at + timedelta(days=1))
    db.session.flush()
    return World(
        campaign=campaign,
        previous=previous,
        empty=empty,
        org_a=org_a,
        org_b=org_b,
        events={"e1": e1, "e2": e2, "e3": e3, "e4": e4, "e5": e5, "e6": e6, "e7": e7},
        sessions={"s1": s1, "s2": s2},
    )


@pytest.fixture
def world(db_session) -> World:
    return build_world()


def campaign_scope(world: World, **filters) -> ReportScope:
    return ReportScope(campaign_ids=(world.campaign.id,), **filters)


def counts(figures: Figures) -> dict:
    """The counts and rates of a Figures, for readable assertions."""
    return {
        "events": figures.events,
        "capacity": figures.capacity,
        "registered": figures.registered,
        "confirmed": figures.confirmed,
        "pending": figures.pending,
        "waitlisted": figures.waitlisted,
        "cancelled": figures.cancelled,
        "checked_in": figures.checked_in,
        "walk_ins": figures.walk_ins,
        "attendance": figures.attendance,
        "no_show_rate": figures.no_show_rate,
        "fill_rate": figures.fill_rate,
    }


E1 = {
    "events": 1,
    "capacity": 50,
    "registered": 42,
    "confirmed": 34,
    "pending": 2,
    "waitlisted": 1,
    "cancelled": 5,
    "checked_in": 28,
    "walk_ins": 6,
    "attendance": 34,
    "no_show_rate": 7 / 34,
    "fill_rate": 34 / 50,
}
E2 = {
    "events": 1,
    "capacity": 100,
    "registered": 7,
    "confirmed": 7,
    "pending": 0,
    "waitlisted": 0,
    "cancelled": 0,
    "checked_in": 3,
    "walk_ins": 7,
    "attendance": 10,
    "no_show_rate": 4 / 7,
    "fill_rate": 7 / 100,
}
E3 = {
    "events": 1,
    "capacity": None,
    "registered": 3,
    "confirmed": 3,
    "pending": 0,
    "waitlisted": 0,
    "cancelled": 0,
    "checked_in": 0,
    "walk_ins": 0,
    "attendance": 0,
    "no_show_rate": None,
    "fill_rate": None,
}


def test_each_event_has_its_known_figures(world):
    report = build_report(campaign_scope(world))
    by_id = {line.info.id: line.figures for line in report.events}
    assert counts(by_id[world.events["e1"].id]) == E1
    assert counts(by_id[world.events["e2"].id]) == E2
    assert counts(by_id[world.events["e3"].id]) == E3
    # Drafts and other campaigns are not there; the cancelled event is, apart.
    assert set(by_id) == {world.events[name].id for name in ("e1", "e2", "e3", "e4")}


def test_campaign_totals_and_cancelled_events_apart(world):
    report = build_report(campaign_scope(world))
    assert counts(report.totals) == {
        "events": 3,
        "capacity": 150,
        "registered": 52,
        "confirmed": 44,
        "pending": 2,
        "waitlisted": 1,
        "cancelled": 5,
        "checked_in": 31,
        "walk_ins": 13,
        "attendance": 44,
        # No-shows only where check-in was used (E1, E2): (7 + 4) / (34 + 7);
        # fill rate only over events with a capacity (E3 has none).
        "no_show_rate": 11 / 41,
        "fill_rate": 41 / 150,
    }
    assert report.totals.checkin_events == 2
    assert (report.cancelled.events, report.cancelled.registered, report.cancelled.confirmed) == (1, 3, 0)


def test_breakdowns_add_up_to_the_totals(world):
    report = build_report(campaign_scope(world))
    department = {group.key: counts(group.figures) for group in report.by_department}
    assert department == {"53": E1, "72": E2, "973": E3}
    assert {group.key: group.figures.attendance for group in report.by_kind} == {
        EventKind.CINE_DEBAT: 34,
        EventKind.FORUM: 10,
        EventKind.VISITE: 0,
    }
    assert {group.key: group.figures.registered for group in report.by_organisation} == {
        world.org_a.id: 49,
        world.org_b.id: 3,
    }
    assert {group.key for group in report.by_commune} == {
        ("53", "Laval"),
        ("72", "Le Mans"),
        ("973", "Cayenne"),
    }
    for breakdown in (
        report.by_department,
        report.by_kind,
        report.by_organisation,
        report.by_week,
        report.by_commune,
    ):
        total = Figures()
        for group in breakdown:
            total = total + group.figures
        assert counts(total) == counts(report.totals)


def test_participant_categories(world):
    report = build_report(campaign_scope(world))
    by_category = {group.key: group.figures for group in report.by_category}
    summary = {
        category: (f.registered, f.confirmed, f.checked_in, f.walk_ins, f.attendance, f.no_show_rate)
        for category, f in by_category.items()
    }
    assert summary == {
        P.GRAND_PUBLIC: (10, 4, 4, 11, 15, 0.0),
        P.ETUDIANT: (30, 30, 25, 2, 27, 5 / 30),
        P.SALARIE_ESS: (6, 6, 0, 0, 0, 1.0),
        P.BENEVOLE: (2, 1, 1, 0, 1, 0.0),
        P.ELU: (1, 0, 1, 0, 1, None),  # came, then cancelled: present, not a no-show
        P.ENTREPRISE: (3, 3, 0, 0, 0, None),  # E3 did not use check-in
        P.PRESSE: (0, 0, 0, 0, 0, None),  # +1 then −1 at a session
    }
    assert sum(f.attendance for f in by_category.values()) == report.totals.attendance


def test_weeks_follow_each_events_own_time_zone(world):
    """E2 starts on Sunday in UTC but Monday 00:30 in Paris (week 44); E3 on
    Monday in UTC and Paris but Sunday 23:30 in Cayenne (week 53 of 2026)."""
    report = build_report(campaign_scope(world))
    weeks = {group.key: group.figures.registered for group in report.by_week}
    assert weeks == {(2026, 44): 7, (2026, 45): 42, (2026, 53): 3}
    assert [group.key for group in report.by_week] == [(2026, 44), (2026, 45), (2026, 53)]


def test_signups_per_day_in_the_sites_time_zone_across_the_offset_change(world):
    """22:30 UTC on 24 October is 00:30 on the 25th in Paris (summer time);
    22:30 UTC on the 25th is 23:30 the same day (winter time); 23:30 UTC is
    the 26th. Days without sign-ups are there, with 0; cancelled events'
    sign-ups are not."""
    report = build_report(campaign_scope(world))
    curve = [(point.day, point.seats, point.cumulative) for point in report.curve]
    assert curve == [
        (date(2026, 10, 20), 7, 7),
        (date(2026, 10, 21), 0, 7),
        (date(2026, 10, 22), 0, 7),
        (date(2026, 10, 23), 0, 7),
        (date(2026, 10, 24), 0, 7),
        (date(2026, 10, 25), 38, 45),
        (date(2026, 10, 26), 4, 49),
        (date(2026, 10, 27), 3, 52),
    ]
    assert report.curve[-1].cumulative == report.totals.registered


def test_sessions_of_an_event(world):
    figures = event_figures(world.events["e2"])
    assert counts(figures.figures) == E2
    sessions = {line.title: counts(line.figures) for line in figures.sessions}
    assert sessions == {
        "Plénière": {
            "events": 1,
            "capacity": 100,
            "registered": 3,
            "confirmed": 3,
            "pending": 0,
            "waitlisted": 0,
            "cancelled": 0,
            "checked_in": 3,
            "walk_ins": 3,
            "attendance": 6,
            "no_show_rate": 0.0,
            "fill_rate": 3 / 100,
        },
        "Atelier coopératives": {
            "events": 1,
            "capacity": 20,
            "registered": 6,
            "confirmed": 6,
            "pending": 0,
            "waitlisted": 0,
            "cancelled": 0,
            "checked_in": 1,
            "walk_ins": 7,
            "attendance": 8,
            "no_show_rate": 5 / 6,
            "fill_rate": 6 / 20,
        },
    }
    assert counts(event_figures(world.events["e1"]).figures) == E1
    assert event_figures(world.events["e1"]).sessions == []


def test_anonymised_registrations_still_count(world):
    anonymised = db.session.query(Registration).filter(Registration.anonymised_at.is_not(None)).one()
    assert anonymised.first_name != "Zoé" and anonymised.status == S.CONFIRMED
    assert build_report(campaign_scope(world)).totals.checked_in == 31


def test_filters_narrow_the_events(world):
    assert counts(build_report(campaign_scope(world, department="53")).totals) == E1
    assert counts(build_report(campaign_scope(world, kind=EventKind.FORUM)).totals) == E2
    # Whole days in Paris: E2 starts on 26 October at 00:30 in Paris (25th in UTC).
    october = build_report(campaign_scope(world, starts_from=date(2026, 10, 1), starts_to=date(2026, 10, 25)))
    assert october.events == []
    late_october = build_report(
        campaign_scope(world, starts_from=date(2026, 10, 26), starts_to=date(2026, 11, 30))
    )
    assert {line.info.id for line in late_october.events} == {world.events[n].id for n in ("e1", "e2", "e4")}


def test_an_organisations_own_events(world):
    report = build_report(ReportScope(organisation_id=world.org_b.id))
    assert counts(report.totals) == E3
    own = build_report(ReportScope(organisation_id=world.org_a.id, campaign_ids=(world.campaign.id,)))
    assert own.totals.registered == 49 and own.cancelled.events == 1


def test_a_campaign_with_nothing_in_it(world):
    report = build_report(ReportScope(campaign_ids=(world.empty.id,)))
    assert report.is_empty and report.events == [] and report.curve == []
    assert counts(report.totals) == {
        "events": 0,
        "capacity": None,
        "registered": 0,
        "confirmed": 0,
        "pending": 0,
        "waitlisted": 0,
        "cancelled": 0,
        "checked_in": 0,
        "walk_ins": 0,
        "attendance": 0,
        "no_show_rate": None,
        "fill_rate": None,
    }
    assert report.by_department == report.by_category == report.by_week == []
    assert year_on_year(world.empty, report) == []


def test_year_on_year_matches_editions_by_series(world):
    current = build_report(campaign_scope(world))
    editions = year_on_year(world.campaign, current)
    assert [
        (edition.name, edition.figures.registered, edition.figures.attendance, edition.cancelled_events)
        for edition in editions
    ] == [
        ("Mois de l'ESS test 2025", 10, 2, 0),
        ("Mois de l'ESS test 2026", 52, 44, 1),
    ]
    # A filtered report compares the same filter across editions.
    laval = year_on_year(world.campaign, build_report(campaign_scope(world, department="53")))
    assert [edition.figures.registered for edition in laval] == [10, 42]
