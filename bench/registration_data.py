"""The registration benchmark's database: built, reset between runs, and checked.

Schema by the app's Alembic migrations (``flask_migrate.upgrade()``), rows by
one bulk ``INSERT`` per table (``agenda_data.reset_database`` creates the
PostgreSQL database if missing and drops its ``public`` schema first):

* one organisation (a regional chamber, CRESS), and one campaign;
* ``SPREAD_EVENTS`` published events in the coming weeks, capacity large,
  registration open, one seat per sign-up, no waiting list, no double opt-in:
  the uncontended sign-ups are spread over them;
* one "Journée de l'ESS" of ``rush_seats`` seats with the waiting list on:
  the rush target;
* two tables of the benchmark's own, for the bare endpoints:
  ``bench_inserts`` (one row per ``/_bench/insert``) and ``bench_counter``
  (one hot row that ``/_bench/hot-update`` increments up to its capacity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from bench.agenda_data import reset_database
from eventsapp.catalog.models import Campaign, Event
from eventsapp.catalog.vocabulary import EventKind, EventStatus
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation, OrganisationKind
from eventsapp.registrations.models import Registration, RegistrationStatus

SPREAD_EVENTS = 500
SPREAD_SLUG = "bench-atelier-{index}"
RUSH_SLUG = "journee-de-l-ess-bench"
SPREAD_CAPACITY = 1_000_000

BENCH_TABLES_SQL = (
    "CREATE TABLE IF NOT EXISTS bench_inserts ("
    " id bigserial PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS bench_counter ("
    " id integer PRIMARY KEY, taken integer NOT NULL DEFAULT 0, capacity integer NOT NULL)",
)


@dataclass(frozen=True)
class RushCounts:
    """Where the rush event stands after a burst."""

    confirmed: int
    confirmed_seats: int
    waitlisted: int
    other: int
    waitlist_positions: list[int]
    outbox_rows: int

    def describe(self) -> str:
        return (
            f"{self.confirmed_seats} seats confirmed ({self.confirmed} registrations), "
            f"{self.waitlisted} waitlisted, {self.other} other; outbox {self.outbox_rows} e-mails"
        )


def spread_slugs() -> list[str]:
    """The slugs of the events the uncontended sign-ups are spread over."""
    return [SPREAD_SLUG.format(index=index) for index in range(1, SPREAD_EVENTS + 1)]


def _event_row(index: int, slug: str, title: str, starts_at: datetime, now: datetime) -> dict:
    return {
        "id": index,
        "organisation_id": 1,
        "campaign_id": 1,
        "title": title,
        "slug": slug,
        "summary": f"{title}, dans le cadre du Mois de l'ESS.",
        "description": "Un moment d'échange ouvert à toutes et tous.",
        "kind": EventKind.ATELIER,
        "status": EventStatus.PUBLISHED,
        "venue_name": "Maison des associations",
        "venue_address": "12 rue de la République",
        "venue_postcode": "53000",
        "commune": "Laval",
        "department": "53",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "timezone": "Europe/Paris",
        "capacity": SPREAD_CAPACITY,
        "registration_required": True,
        "registration_opens_at": None,
        "registration_closes_at": starts_at - timedelta(hours=2),
        "waitlist_enabled": False,
        "max_seats_per_registration": 1,
        "requires_email_confirmation": False,
        "contact_name": "Camille Martin",
        "contact_email": f"contact{index}@exemple.org",
        "created_at": now - timedelta(days=30),
        "updated_at": now - timedelta(days=30),
        "published_at": now - timedelta(days=20),
    }


def build_database(app: Flask, url: str, rush_seats: int) -> None:
    """Drop and rebuild the database of ``app`` (at ``url``): schema, events, bench tables."""
    reset_database(url)
    now = datetime.now(UTC).replace(microsecond=0)
    first_day = now + timedelta(days=10)
    events = [
        _event_row(index, slug, f"Atelier de l'ESS n° {index}", first_day + timedelta(hours=index), now)
        for index, slug in enumerate(spread_slugs(), start=1)
    ]
    rush = _event_row(
        SPREAD_EVENTS + 1, RUSH_SLUG, "Journée de l'ESS en Mayenne", now + timedelta(days=20), now
    )
    rush.update(capacity=rush_seats, waitlist_enabled=True, kind=EventKind.PLENIERE)
    rush["ends_at"] = rush["starts_at"] + timedelta(hours=8)
    with app.app_context():
        upgrade()
        session = db.session
        session.execute(
            sa.insert(Organisation),
            [{"id": 1, "name": "CRESS des Pays de la Loire", "slug": "cress-pdl",
              "kind": OrganisationKind.RESEAU, "department": "44", "commune": "Nantes"}],
        )  # fmt: skip
        session.execute(
            sa.insert(Campaign),
            [{"id": 1, "name": f"Mois de l'ESS {first_day.year}", "slug": "mois-ess-bench",
              "series": "mois-ess", "starts_on": first_day.date(),
              "ends_on": (first_day + timedelta(days=30)).date(), "coordinator_id": 1}],
        )  # fmt: skip
        session.execute(sa.insert(Event), [*events, rush])
        for table in ("organisations", "campaigns", "events"):
            session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            )
        for statement in BENCH_TABLES_SQL:
            session.execute(sa.text(statement))
        session.commit()
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        db.engine.dispose()


def has_data_set(app: Flask) -> bool:
    """Whether the database already holds this benchmark's events and tables (``--keep``)."""
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                events = connection.scalar(sa.select(sa.func.count()).select_from(Event))
                connection.exec_driver_sql("SELECT 1 FROM bench_counter LIMIT 1")
                rush = connection.scalar(sa.select(Event.id).where(Event.slug == RUSH_SLUG))
        except sa.exc.DBAPIError:
            return False
        finally:
            db.engine.dispose()
    return events == SPREAD_EVENTS + 1 and rush is not None


def reset_state(app: Flask, rush_seats: int) -> None:
    """Start every run alike: no registrations, no outbox rows, empty bench
    tables, the rush event at ``rush_seats`` seats, the counter at zero."""
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "TRUNCATE registrations, outbox_messages, bench_inserts RESTART IDENTITY CASCADE"
            )
            connection.execute(sa.update(Event).where(Event.slug == RUSH_SLUG).values(capacity=rush_seats))
            connection.exec_driver_sql("DELETE FROM bench_counter")
            connection.exec_driver_sql(
                "INSERT INTO bench_counter (id, taken, capacity) VALUES (1, 0, %(seats)s)",
                {"seats": rush_seats},
            )
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        db.engine.dispose()


def reset_rush(app: Flask) -> None:
    """Before each burst: the rush event without registrations (nor their
    outbox rows), the counter at zero."""
    with app.app_context(), db.engine.begin() as connection:
        rush_id = connection.scalar(sa.select(Event.id).where(Event.slug == RUSH_SLUG))
        registrations = sa.select(Registration.id).where(Registration.event_id == rush_id)
        connection.exec_driver_sql(
            "DELETE FROM outbox_messages WHERE registration_id IN "
            "(SELECT id FROM registrations WHERE event_id = %(id)s)",
            {"id": rush_id},
        )
        connection.execute(sa.delete(Registration).where(Registration.id.in_(registrations)))
        connection.exec_driver_sql("UPDATE bench_counter SET taken = 0 WHERE id = 1")


def rush_counts(app: Flask) -> RushCounts:
    """Count the rush event's registrations by status, and their outbox rows."""
    with app.app_context(), db.engine.connect() as connection:
        rush_id = connection.scalar(sa.select(Event.id).where(Event.slug == RUSH_SLUG))
        rows = connection.execute(
            sa.select(
                Registration.status, sa.func.count(), sa.func.coalesce(sa.func.sum(Registration.seats), 0)
            )
            .where(Registration.event_id == rush_id)
            .group_by(Registration.status)
        ).all()
        by_status = {RegistrationStatus(status): (count, seats) for status, count, seats in rows}
        positions = list(
            connection.scalars(
                sa.select(Registration.waitlist_position)
                .where(Registration.event_id == rush_id, Registration.status == RegistrationStatus.WAITLISTED)
                .order_by(Registration.waitlist_position)
            )
        )
        outbox_rows = connection.exec_driver_sql(
            "SELECT count(*) FROM outbox_messages "
            "WHERE registration_id IN (SELECT id FROM registrations WHERE event_id = %(id)s)",
            {"id": rush_id},
        ).scalar_one()
    confirmed, confirmed_seats = by_status.pop(RegistrationStatus.CONFIRMED, (0, 0))
    waitlisted, _seats = by_status.pop(RegistrationStatus.WAITLISTED, (0, 0))
    return RushCounts(
        confirmed=confirmed,
        confirmed_seats=confirmed_seats,
        waitlisted=waitlisted,
        other=sum(count for count, _seats in by_status.values()),
        waitlist_positions=positions,
        outbox_rows=outbox_rows,
    )


def counter_taken(app: Flask) -> int:
    """The hot row's value after a burst of ``/_bench/hot-update``."""
    with app.app_context(), db.engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT taken FROM bench_counter WHERE id = 1").scalar_one())


def signup_count(app: Flask) -> int:
    """Registrations stored in all (a sanity check after the uncontended run)."""
    with app.app_context(), db.engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(Registration)) or 0)
