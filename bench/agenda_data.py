"""The agenda benchmark's database: schema by the app's migrations, rows by bulk inserts.

The data set looks like a regional network's agenda that also receives events
from all over France: three campaigns ("temps forts") in the coming weeks,
a few hundred organisations, events weighted towards the Pays de la Loire
(Mayenne first), every kind of event with ciné-débats and ateliers the most
common, audiences and themes, and a few thousand registrations so that the
agenda's seats-left aggregate has rows to sum. A fixed random seed makes two
builds with the same options identical (apart from the dates, which follow
today so that the default agenda, which hides past events, shows them).

Rows are written with ``db.session.execute(sa.insert(Model), rows)`` (one
executemany per table), not through ORM objects.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from slugify import slugify

from eventsapp.catalog.models import Campaign, Event, EventAudience, Theme, event_themes
from eventsapp.catalog.vocabulary import Audience, EventKind, EventStatus
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation, OrganisationKind
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus
from eventsapp.territories.departments import DEPARTMENTS

PARIS = ZoneInfo("Europe/Paris")
SEED = 20261117

# The filter the benchmark uses: the big campaign, Mayenne, ciné-débats.
# The weights below make it match a few dozen events with the default size.
FILTER_DEPARTMENT = "53"
FILTER_KIND = EventKind.CINE_DEBAT

HEAVY_DEPARTMENTS: dict[str, float] = {
    "53": 0.17, "44": 0.10, "49": 0.08, "72": 0.07, "85": 0.06, "35": 0.04,
    "75": 0.05, "69": 0.03, "13": 0.03, "59": 0.03, "33": 0.02, "31": 0.02,
}  # fmt: skip
KIND_WEIGHTS: dict[EventKind, float] = {
    EventKind.CINE_DEBAT: 0.20, EventKind.ATELIER: 0.14, EventKind.CONFERENCE: 0.11,
    EventKind.VISITE: 0.11, EventKind.TABLE_RONDE: 0.08, EventKind.FORUM: 0.06,
    EventKind.TEMOIGNAGES: 0.06, EventKind.EXPOSITION: 0.05, EventKind.PETIT_DEJEUNER: 0.05,
    EventKind.INTERVENTION_SCOLAIRE: 0.05, EventKind.SALON: 0.03, EventKind.PLENIERE: 0.03,
    EventKind.AUTRE: 0.03,
}  # fmt: skip
KIND_TITLES: dict[EventKind, str] = {
    EventKind.CINE_DEBAT: "Ciné-débat « {film} »",
    EventKind.ATELIER: "Atelier : {topic}",
    EventKind.CONFERENCE: "Conférence : {topic}",
    EventKind.VISITE: "Portes ouvertes : {place}",
    EventKind.TABLE_RONDE: "Table ronde : {topic}",
    EventKind.FORUM: "Forum : {topic}",
    EventKind.TEMOIGNAGES: "Témoignages : {topic}",
    EventKind.EXPOSITION: "Exposition « {film} »",
    EventKind.PETIT_DEJEUNER: "Petit-déjeuner de l'ESS : {topic}",
    EventKind.INTERVENTION_SCOLAIRE: "Intervention au collège : {topic}",
    EventKind.SALON: "Salon : {topic}",
    EventKind.PLENIERE: "Plénière du réseau : {topic}",
    EventKind.AUTRE: "Rencontre : {topic}",
}
FILMS = (
    "Demain", "Après-demain", "Les Nouveaux Héros", "La Part des autres", "Merci patron !",
    "En quête de sens", "Le Grand Saut", "Nous la mangerons, c'est la moindre des choses",
    "Zéro phyto 100 % bio", "Les Liberterres", "Ma part du gâteau", "Coopérer pour exister",
)  # fmt: skip
TOPICS = (
    "la finance solidaire", "les monnaies locales", "l'habitat participatif",
    "le réemploi et la réparation", "les circuits courts", "l'insertion par l'activité économique",
    "les tiers-lieux", "la transmission d'entreprise en Scop", "le bénévolat associatif",
    "l'égalité femmes-hommes dans l'ESS", "la mobilité solidaire", "l'alimentation durable",
    "les communs numériques", "l'entrepreneuriat social", "les achats responsables",
)  # fmt: skip
PLACES = (
    "la ressourcerie", "la Scop de menuiserie", "l'épicerie solidaire", "la recyclerie",
    "la coopérative agricole", "l'atelier vélo", "la ferme d'insertion", "le tiers-lieu",
)  # fmt: skip
COMMUNES: dict[str, tuple[str, ...]] = {
    "53": ("Laval", "Mayenne", "Château-Gontier-sur-Mayenne", "Évron", "Craon", "Ernée",
           "Villaines-la-Juhel", "Meslay-du-Maine"),
    "44": ("Nantes", "Saint-Nazaire", "Rezé", "Saint-Herblain", "Châteaubriant"),
    "49": ("Angers", "Cholet", "Saumur", "Segré-en-Anjou Bleu"),
    "72": ("Le Mans", "La Flèche", "Sablé-sur-Sarthe", "Mamers"),
    "85": ("La Roche-sur-Yon", "Les Sables-d'Olonne", "Challans", "Fontenay-le-Comte"),
    "35": ("Rennes", "Saint-Malo", "Fougères", "Vitré"),
    "75": ("Paris",),
    "69": ("Lyon", "Villeurbanne", "Vénissieux"),
    "13": ("Marseille", "Aix-en-Provence", "Arles"),
    "59": ("Lille", "Roubaix", "Tourcoing", "Dunkerque"),
    "33": ("Bordeaux", "Mérignac", "Libourne"),
    "31": ("Toulouse", "Colomiers", "Muret"),
}  # fmt: skip
GENERIC_COMMUNES = (
    "Saint-Martin", "Villeneuve", "Beaumont", "Montigny", "Saint-Germain", "Fontaine",
    "Bourg-en-Val", "Sainte-Marie", "Champagne", "Le Pont",
)  # fmt: skip
VENUES = (
    "Salle des fêtes", "Médiathèque", "Cinéma associatif", "Maison des associations",
    "Tiers-lieu La Fabrique", "Centre social", "Lycée professionnel", "Hôtel de ville",
)  # fmt: skip
# Name patterns by kind of organisation: {noun} and {commune} are filled in.
ORGANISATION_NAMES: dict[OrganisationKind, tuple[str, ...]] = {
    OrganisationKind.ASSOCIATION: ("Association {noun} {commune}", "Collectif {noun}"),
    OrganisationKind.COOPERATIVE: ("Scop {noun}", "SCIC {noun} {commune}", "Coopérative {noun}"),
    OrganisationKind.MUTUELLE: ("Mutuelle {noun}",),
    OrganisationKind.FONDATION: ("Fondation {noun}",),
    OrganisationKind.INSERTION: ("Chantier d'insertion {noun}", "Entreprise adaptée {noun}"),
    OrganisationKind.COLLECTIVITE: ("Ville de {commune}", "Communauté de communes de {commune}"),
    OrganisationKind.RESEAU: ("Réseau {noun}", "Pôle ESS de {commune}"),
    OrganisationKind.AUTRE: ("Tiers-lieu {noun}",),
}
ORGANISATION_NOUNS = (
    "Le Lien", "Horizons", "Les Communs", "Terre d'Avenir", "L'Élan", "La Fabrique", "Le Relais",
    "Écocyclerie", "Les Jardins Partagés", "Vélo Solidaire", "Repair Café", "Cap Solidarités",
)  # fmt: skip
ORGANISATION_KIND_WEIGHTS: dict[OrganisationKind, float] = {
    OrganisationKind.ASSOCIATION: 0.45, OrganisationKind.COOPERATIVE: 0.18,
    OrganisationKind.MUTUELLE: 0.05, OrganisationKind.FONDATION: 0.03,
    OrganisationKind.INSERTION: 0.10, OrganisationKind.COLLECTIVITE: 0.08,
    OrganisationKind.RESEAU: 0.06, OrganisationKind.AUTRE: 0.05,
}  # fmt: skip
FIRST_NAMES = (
    "Camille", "Léa", "Hugo", "Manon", "Lucas", "Chloé", "Nathan", "Inès", "Louis", "Sarah",
    "Jules", "Emma", "Yanis", "Zoé", "Paul", "Aïcha", "Théo", "Clémence", "Malik", "Anne",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Nguyen", "Diallo", "Roux",
)  # fmt: skip
THEMES = (
    "Alimentation", "Culture", "Emploi et insertion", "Environnement", "Finance solidaire",
    "Habitat", "Mobilité", "Numérique", "Santé", "Solidarités internationales",
)  # fmt: skip


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    slug_stem: str
    series: str
    offset_days: int
    length_days: int
    share: float


# Name, slug stem, series, first day (days from today), length in days, share of the events.
CAMPAIGNS = (
    CampaignSpec("Mois de l'ESS", "mois-ess", "mois-ess", 2, 30, 0.60),
    CampaignSpec(
        "Semaine de la finance solidaire", "semaine-finance-solidaire", "finance-solidaire", 34, 8, 0.22
    ),
    CampaignSpec(
        "Quinzaine du commerce équitable", "quinzaine-commerce-equitable", "commerce-equitable", 44, 15, 0.18
    ),
)


@dataclass
class BuildSummary:
    """What a build wrote (or what a kept database holds)."""

    published_events: int
    other_events: int
    registrations: int
    organisations: int
    campaign_slugs: list[str]

    def describe(self) -> str:
        return (
            f"{self.published_events} published events (+{self.other_events} drafts/submitted), "
            f"{self.registrations} registrations, {self.organisations} organisations, "
            f"campaigns: {', '.join(self.campaign_slugs)}"
        )


def _weighted(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def department_weights() -> dict[str, float]:
    """Weights of every département: the heavy ones, the rest shared evenly."""
    rest = [code for code in DEPARTMENTS if code not in HEAVY_DEPARTMENTS]
    share = (1.0 - sum(HEAVY_DEPARTMENTS.values())) / len(rest)
    return {**HEAVY_DEPARTMENTS, **dict.fromkeys(rest, share)}


def _postcode(department: str) -> str:
    if department in ("2A", "2B"):
        return "20000"
    return department + ("00" if len(department) == 3 else "000")


def _commune(rng: random.Random, department: str) -> str:
    return rng.choice(COMMUNES.get(department) or GENERIC_COMMUNES)


def _paris_moment(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def campaign_slugs(today: date | None = None) -> list[str]:
    """The slugs the build gives the campaigns (the year is the campaign's)."""
    today = today or datetime.now(UTC).date()
    return [f"{spec.slug_stem}-{(today + timedelta(days=spec.offset_days)).year}" for spec in CAMPAIGNS]


def _organisation_rows(rng: random.Random, count: int, now: datetime) -> list[dict[str, Any]]:
    weights = department_weights()
    rows = []
    coordinators = (
        ("CRESS Pays de la Loire", OrganisationKind.RESEAU, "44", "Nantes"),
        ("Finansol", OrganisationKind.RESEAU, "75", "Paris"),
        ("Commerce Équitable France", OrganisationKind.RESEAU, "93", "Montreuil"),
    )
    for index in range(1, count + 1):
        if index <= len(coordinators):
            name, kind, department, commune = coordinators[index - 1]
        else:
            kind = _weighted(rng, ORGANISATION_KIND_WEIGHTS)
            department = _weighted(rng, weights)
            commune = _commune(rng, department)
            pattern = rng.choice(ORGANISATION_NAMES[kind])
            name = pattern.format(noun=rng.choice(ORGANISATION_NOUNS), commune=commune)
        slug = f"{slugify(name, max_length=200)}-{index}"
        rows.append(
            {
                "id": index,
                "name": name,
                "slug": slug,
                "kind": kind,
                "description": f"{name} agit pour une économie sociale et solidaire sur son territoire.",
                "department": department,
                "commune": commune,
                "website": f"https://{slug}.exemple.org",
                "contact_email": f"contact@{slug}.exemple.org",
                "created_at": now - timedelta(days=rng.randint(30, 1500)),
            }
        )
    return rows


def _campaign_rows(today: date, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for index, (spec, slug) in enumerate(zip(CAMPAIGNS, campaign_slugs(today), strict=True), start=1):
        starts_on = today + timedelta(days=spec.offset_days)
        rows.append(
            {
                "id": index,
                "name": f"{spec.name} {starts_on.year}",
                "slug": slug,
                "series": spec.series,
                "starts_on": starts_on,
                "ends_on": starts_on + timedelta(days=spec.length_days - 1),
                "coordinator_id": index,
                "description": f"{spec.name} : des événements partout en France pour découvrir l'ESS.",
                "requires_approval": index == 1,
                "created_at": now - timedelta(days=90),
            }
        )
    return rows


def _event_rows(
    rng: random.Random,
    published: int,
    others: int,
    campaigns: Sequence[dict[str, Any]],
    organisations: Sequence[dict[str, Any]],
    now: datetime,
) -> list[dict[str, Any]]:
    weights = department_weights()
    organisations_by_department: dict[str, list[int]] = {}
    for organisation in organisations:
        organisations_by_department.setdefault(organisation["department"], []).append(organisation["id"])
    campaign_weights = {
        campaign["id"]: spec.share for campaign, spec in zip(campaigns, CAMPAIGNS, strict=True)
    }
    by_id = {campaign["id"]: campaign for campaign in campaigns}

    rows = []
    for index in range(1, published + others + 1):
        campaign = by_id[_weighted(rng, campaign_weights)]
        kind = _weighted(rng, KIND_WEIGHTS)
        online = rng.random() < 0.03
        department = "" if online else _weighted(rng, weights)
        commune = "" if online else _commune(rng, department)
        local_orgs = organisations_by_department.get(department)
        organisation_id = (
            rng.choice(local_orgs)
            if local_orgs and rng.random() < 0.8
            else rng.randint(1, len(organisations))
        )

        span = (campaign["ends_on"] - campaign["starts_on"]).days
        day = campaign["starts_on"] + timedelta(days=rng.randint(0, span))
        hour = rng.choice((9, 10, 14, 17, 18, 19, 20) if kind != EventKind.PETIT_DEJEUNER else (8, 9))
        starts_at = _paris_moment(day, hour, rng.choice((0, 0, 30)))
        ends_at = starts_at + timedelta(minutes=rng.choice((60, 90, 120, 120, 180, 240)))

        if index <= published:
            status = EventStatus.PUBLISHED
            published_at = now - timedelta(days=rng.randint(1, 40))
        else:
            status = rng.choice((EventStatus.DRAFT, EventStatus.SUBMITTED))
            published_at = None
        registration_required = rng.random() < 0.8
        capacity = None
        if registration_required and rng.random() < 0.8:
            capacity = rng.choice((8, 12, 15, 20, 25, 30, 40, 60, 100))
        opens_later = registration_required and rng.random() < 0.08
        topic, film, place = rng.choice(TOPICS), rng.choice(FILMS), rng.choice(PLACES)
        title = KIND_TITLES[kind].format(topic=topic, film=film, place=place)
        where = f" à {commune}" if commune else " en ligne"
        rows.append(
            {
                "id": index,
                "organisation_id": organisation_id,
                "campaign_id": campaign["id"],
                "title": title,
                "slug": f"{slugify(title + where, max_length=180, word_boundary=True)}-{index}",
                "summary": f"{title}{where}, dans le cadre du {campaign['name']}.",
                "description": (
                    f"{title}.\n\nUn moment d'échange ouvert à toutes et tous autour de {topic}, "
                    "avec des acteurs locaux de l'économie sociale et solidaire.\n\n"
                    "Accès : transports en commun, parking à proximité."
                ),
                "kind": kind,
                "status": status,
                "venue_name": "" if online else rng.choice(VENUES),
                "venue_address": "" if online else f"{rng.randint(1, 120)} rue de la République",
                "venue_postcode": "" if online else _postcode(department),
                "commune": commune,
                "department": department,
                "latitude": None if online else round(rng.uniform(43.0, 50.5), 5),
                "longitude": None if online else round(rng.uniform(-4.5, 7.5), 5),
                "online_url": f"https://visio.exemple.org/{index}" if online else None,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "timezone": "Europe/Paris",
                "capacity": capacity,
                "registration_required": registration_required,
                "registration_opens_at": starts_at - timedelta(days=7) if opens_later else None,
                "registration_closes_at": starts_at - timedelta(hours=2) if registration_required else None,
                "waitlist_enabled": capacity is not None and rng.random() < 0.4,
                "max_seats_per_registration": rng.choice((1, 1, 2, 4)),
                "requires_email_confirmation": rng.random() < 0.3,
                "waitlist_cutoff_minutes": 120,
                "accessibility_info": "Salle accessible en fauteuil roulant." if rng.random() < 0.6 else "",
                "is_free": rng.random() < 0.85,
                "price_info": "",
                "contact_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "contact_email": f"contact{index}@exemple.org",
                "contact_phone": None,
                "created_at": now - timedelta(days=rng.randint(40, 80)),
                "updated_at": now - timedelta(days=rng.randint(0, 39)),
                "published_at": published_at,
                "cancelled_at": None,
                "cancellation_reason": "",
            }
        )
    return rows


def _registration_rows(
    rng: random.Random, events: Sequence[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    statuses = {
        RegistrationStatus.CONFIRMED: 0.72,
        RegistrationStatus.PENDING: 0.10,
        RegistrationStatus.WAITLISTED: 0.05,
        RegistrationStatus.CANCELLED: 0.11,
        RegistrationStatus.EXPIRED: 0.02,
    }
    categories = {category: 1.0 for category in ParticipantCategory}
    categories[ParticipantCategory.GRAND_PUBLIC] = 6.0
    categories[ParticipantCategory.SALARIE_ESS] = 3.0
    for event in events:
        if event["status"] != EventStatus.PUBLISHED or not event["registration_required"]:
            continue
        capacity = event["capacity"]
        # Most events have a handful of sign-ups; some small ones are (nearly) full.
        count = rng.choice((0, 1, 2, 3, 3, 4, 5, 6))
        if capacity is not None and capacity <= 15 and rng.random() < 0.5:
            count = capacity + rng.randint(-2, 3)
        waitlist_position = 0
        for _ in range(max(count, 0)):
            registration_id = len(rows) + 1
            status = _weighted(rng, statuses)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            created_at = event["published_at"] + timedelta(hours=rng.randint(1, 500))
            created_at = min(created_at, now)
            if status == RegistrationStatus.WAITLISTED:
                waitlist_position += 1
            rows.append(
                {
                    "id": registration_id,
                    "event_id": event["id"],
                    "first_name": first,
                    "last_name": last,
                    "email": f"{slugify(first)}.{slugify(last)}.{registration_id}@exemple.org",
                    "phone": None,
                    "structure": "",
                    "category": _weighted(rng, categories),
                    "seats": min(rng.choice((1, 1, 1, 1, 2, 3)), event["max_seats_per_registration"]),
                    "status": status,
                    "waitlist_position": waitlist_position
                    if status == RegistrationStatus.WAITLISTED
                    else None,
                    "token_hash": hashlib.sha256(f"bench-{registration_id}".encode()).hexdigest(),
                    "consent_at": created_at,
                    "created_at": created_at,
                    "updated_at": created_at,
                    "confirmed_at": created_at if status == RegistrationStatus.CONFIRMED else None,
                    "cancelled_at": created_at if status == RegistrationStatus.CANCELLED else None,
                    "anonymised_at": None,
                }
            )
    return rows


def _audience_rows(rng: random.Random, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    audiences = list(Audience)
    rows = []
    for event in events:
        chosen = {Audience.GRAND_PUBLIC} if rng.random() < 0.7 else set()
        chosen.update(rng.sample(audiences, rng.randint(0, 2)))
        rows.extend(
            {"event_id": event["id"], "audience": audience} for audience in sorted(chosen or audiences[:1])
        )
    return rows


def _theme_link_rows(rng: random.Random, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        for theme_id in rng.sample(range(1, len(THEMES) + 1), rng.randint(0, 2)):
            rows.append({"event_id": event["id"], "theme_id": theme_id})
    return rows


def reset_database(url: str) -> None:
    """Start from nothing: create the PostgreSQL database if missing and drop
    its schema; for SQLite, remove the file (and its WAL files)."""
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            for suffix in ("", "-wal", "-shm", "-journal"):
                path = parsed.database + suffix
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)
        return
    if backend != "postgresql":
        raise SystemExit(f"unsupported database for the benchmark: {backend}")
    plain = parsed.set(drivername="postgresql")
    admin = plain.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{parsed.database}"')
    with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")


def build_database(app: Flask, events: int, seed: int = SEED) -> BuildSummary:
    """Migrate the (empty) database of ``app`` and fill it; returns what was written."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    today = now.date()
    published = events
    others = max(events // 20, 1)  # 5 % drafts and submitted events the agenda must skip
    organisation_count = max(events // 12, 10)

    with app.app_context():
        upgrade()
        organisations = _organisation_rows(rng, organisation_count, now)
        campaigns = _campaign_rows(today, now)
        event_rows = _event_rows(rng, published, others, campaigns, organisations, now)
        registrations = _registration_rows(rng, event_rows, now)
        themes = [{"id": i, "slug": slugify(name), "name": name} for i, name in enumerate(THEMES, start=1)]

        session = db.session
        session.execute(sa.insert(Organisation), organisations)
        session.execute(sa.insert(Campaign), campaigns)
        session.execute(sa.insert(Theme), themes)
        session.execute(sa.insert(Event), event_rows)
        session.execute(sa.insert(EventAudience), _audience_rows(rng, event_rows))
        session.execute(sa.insert(event_themes), _theme_link_rows(rng, event_rows))
        session.execute(sa.insert(Registration), registrations)
        if db.engine.dialect.name == "postgresql":
            # Ids were given explicitly: move the sequences past them.
            for table in ("organisations", "campaigns", "themes", "events", "registrations"):
                session.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
        session.commit()
        # Planner statistics, as a production database would have them.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        db.engine.dispose()
    return BuildSummary(
        published_events=published,
        other_events=others,
        registrations=len(registrations),
        organisations=organisation_count,
        campaign_slugs=[campaign["slug"] for campaign in campaigns],
    )


def inspect_database(app: Flask) -> BuildSummary | None:
    """What an existing benchmark database holds, or None if it has no events."""
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                published = connection.scalar(
                    sa.select(sa.func.count()).select_from(Event).where(Event.status == EventStatus.PUBLISHED)
                )
                total = connection.scalar(sa.select(sa.func.count()).select_from(Event))
                registrations = connection.scalar(sa.select(sa.func.count()).select_from(Registration))
                organisations = connection.scalar(sa.select(sa.func.count()).select_from(Organisation))
                slugs = list(connection.scalars(sa.select(Campaign.slug).order_by(Campaign.id)))
        except sa.exc.DBAPIError:
            return None
        finally:
            db.engine.dispose()
    if not published:
        return None
    return BuildSummary(published, total - published, registrations, organisations, slugs)
