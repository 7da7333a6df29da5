"""The demo data: what ``flask seed-demo`` loads, that it is coherent, and that
loading it twice changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from eventsapp.catalog.models import Campaign, Event, EventAudience, EventQuestion, Session, Theme
from eventsapp.catalog.vocabulary import EventKind, EventStatus
from eventsapp.demo.seed import campaign_slug, seed_demo
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.models import (
    Registration,
    RegistrationAnswer,
    RegistrationStatus,
    registration_sessions,
)
from eventsapp.territories.departments import DEPARTMENTS

PARIS = ZoneInfo("Europe/Paris")
ANCHOR = date(2026, 11, 2)
ANCHOR_START = datetime.combine(ANCHOR, time.min, tzinfo=PARIS).astimezone(UTC)


def count_rows() -> dict[str, int]:
    tables = [
        Organisation.__table__,
        Campaign.__table__,
        Event.__table__,
        Session.__table__,
        EventAudience.__table__,
        EventQuestion.__table__,
        Theme.__table__,
        Registration.__table__,
        RegistrationAnswer.__table__,
        registration_sessions,
    ]
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) for table in tables}


def confirmed_seats() -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Registration.event_id, sa.func.sum(Registration.seats))
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.event_id)
    )
    return {event_id: int(seats) for event_id, seats in rows}


def test_seed_creates_the_mois_de_l_ess(db_session):
    assert seed_demo(ANCHOR) is True

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) >= 12
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == campaign_slug(2026)))
    assert campaign.name == "Mois de l'ESS 2026"
    assert campaign.series == "mois-ess"
    assert campaign.requires_approval
    assert campaign.coordinator.name == "CRESS Pays de la Loire"

    events = list(db.session.scalars(sa.select(Event)))
    assert 30 <= len(events) <= 40
    for event in events:
        if event.campaign_id == campaign.id:
            assert campaign.starts_on <= event.starts_at.astimezone(PARIS).date()
            assert event.ends_at.astimezone(PARIS).date() <= campaign.ends_on

    journee = next(e for e in events if e.title == "Journée de l'ESS en Sarthe")
    assert journee.department == "72"
    assert journee.capacity == 250
    assert len(journee.sessions) == 5
    assert journee.starts_at.astimezone(PARIS).time() == time(9, 0)
    assert all(40 <= session.capacity <= 80 for session in journee.sessions[1:])

    salon = next(e for e in events if e.title == "1er Salon de l'ESS au Mans")
    assert salon.kind == EventKind.SALON and salon.campaign_id == campaign.id and salon.sessions

    upcoming_cine_53 = [
        e
        for e in events
        if e.kind == EventKind.CINE_DEBAT
        and e.department == "53"
        and e.status == EventStatus.PUBLISHED
        and e.starts_at > ANCHOR_START
    ]
    assert len(upcoming_cine_53) >= 2

    cancelled = [e for e in events if e.status == EventStatus.CANCELLED]
    assert len(cancelled) == 1
    assert cancelled[0].cancelled_at is not None and cancelled[0].cancellation_reason
    assert [e for e in events if e.ends_at < ANCHOR_START]
    assert [e for e in events if e.status in (EventStatus.DRAFT, EventStatus.SUBMITTED)]
    assert [e for e in events if not e.registration_required]
    assert [e for e in events if e.registration_opens_at and e.registration_opens_at > ANCHOR_START]
    assert [e for e in events if not e.is_free and e.price_info]
    assert [e for e in events if e.online_url]
    assert [e for e in events if e.max_seats_per_registration == 30]

    seats = confirmed_seats()
    full = [e for e in events if e.capacity and seats.get(e.id) == e.capacity]
    assert full
    assert any(e.waitlist_enabled for e in full)
    assert all(seats.get(e.id, 0) <= (e.capacity or seats.get(e.id, 0)) for e in events)

    on_waitlist = sa.select(Registration).where(Registration.status == RegistrationStatus.WAITLISTED)
    waitlisted = list(db.session.scalars(on_waitlist))
    assert waitlisted
    by_event: dict[int, list[int]] = {}
    for registration in waitlisted:
        by_event.setdefault(registration.event_id, []).append(registration.waitlist_position)
    assert all(sorted(positions) == list(range(1, len(positions) + 1)) for positions in by_event.values())

    registrations = list(db.session.scalars(sa.select(Registration)))
    assert len(registrations) <= 450
    assert all(r.email == r.email.lower() and len(r.token_hash) == 64 for r in registrations)


def test_seed_is_coherent(db_session):
    seed_demo(ANCHOR)

    for event in db.session.scalars(sa.select(Event)):
        assert event.ends_at > event.starts_at, event.slug
        assert event.department in DEPARTMENTS, event.slug
        for session in event.sessions:
            assert event.starts_at <= session.starts_at < session.ends_at <= event.ends_at
        assert event.is_public == (event.published_at is not None), event.slug

    # No session is booked beyond its capacity.
    rows = db.session.execute(
        sa.select(Session.capacity, sa.func.sum(Registration.seats))
        .join(registration_sessions, registration_sessions.c.session_id == Session.id)
        .join(Registration, Registration.id == registration_sessions.c.registration_id)
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Session.id, Session.capacity)
    )
    assert all(capacity is None or taken <= capacity for capacity, taken in rows)


def test_seed_twice_changes_nothing(db_session):
    assert seed_demo(ANCHOR) is True
    before = count_rows()

    assert seed_demo(ANCHOR) is False
    assert count_rows() == before


def test_agenda_lists_the_demo_cine_debats_in_mayenne(client):
    seed_demo(datetime.now(PARIS).date())

    response = client.get("/?department=53&kind=cine-debat")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Après-demain" in page
    assert "Cent visages" not in page
