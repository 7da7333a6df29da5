"""Demo data: a believable Mois de l'ESS, loaded by ``flask seed-demo``.

Every date is computed from an anchor day (today in Europe/Paris by default)
so the demo never goes stale: one event ended a few days before the anchor,
the others spread over the four following weeks. The content lives in
``eventsapp.demo.data``; this module turns it into rows.

Registrations are written directly (there is no registration service to go
through yet); their secrets are random and thrown away, only hashes are kept.

The back-office demo accounts are ``eventsapp.demo.accounts``.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, date, datetime, time, timedelta
from hashlib import sha256
from itertools import product
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from slugify import slugify

from eventsapp.catalog.models import Campaign, Event, EventQuestion, Session, Theme
from eventsapp.catalog.service import create_event
from eventsapp.catalog.vocabulary import EventStatus, QuestionKind
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.db import now_utc
from eventsapp.demo import data
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.models import (
    ParticipantCategory,
    Registration,
    RegistrationAnswer,
    RegistrationStatus,
)

PARIS = ZoneInfo("Europe/Paris")

DEFAULT_CATEGORIES = [
    ParticipantCategory.GRAND_PUBLIC,
    ParticipantCategory.GRAND_PUBLIC,
    ParticipantCategory.SALARIE_ESS,
    ParticipantCategory.BENEVOLE,
    ParticipantCategory.ETUDIANT,
]
STRUCTURE_KIND = {
    ParticipantCategory.SALARIE_ESS: "ess",
    ParticipantCategory.BENEVOLE: "ess",
    ParticipantCategory.ENTREPRISE: "entreprise",
    ParticipantCategory.COLLECTIVITE: "collectivite",
    ParticipantCategory.ELU: "collectivite",
    ParticipantCategory.PRESSE: "presse",
}
# Most people come alone; couples and small groups where the event allows it.
GROUP_SIZES = ([1, 2, 3, 4], [70, 20, 6, 4])


def campaign_slug(year: int) -> str:
    """Slug of the demo's main campaign for ``year``: how the demo is recognised."""
    return f"{data.CAMPAIGN_SERIES}-{year}"


def local_time(day: date, hour_minute: tuple[int, int]) -> datetime:
    """A Europe/Paris wall-clock time on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(*hour_minute), tzinfo=PARIS).astimezone(UTC)


def seed_demo(anchor: date | None = None) -> bool:
    """Load the demo around ``anchor`` (default: today in Paris); flushed, not committed.

    Returns False, changing nothing, when the campaign of the anchor's year is
    already there.
    """
    anchor = anchor or datetime.now(PARIS).date()
    slug = campaign_slug(anchor.year)
    if db.session.scalar(sa.select(Campaign.id).where(Campaign.slug == slug)) is not None:
        return False
    _DemoLoader(anchor).load(slug)
    return True


class _DemoLoader:
    """Builds the demo for one anchor day; one instance per load."""

    def __init__(self, anchor: date) -> None:
        self.anchor = anchor
        # A fixed seed keeps names and figures stable from one load to the next.
        self.rng = random.Random(anchor.year)
        # Registrations cannot predate "now" even when the anchor is in the future.
        self.reference = min(now_utc(), local_time(anchor, (0, 0)))
        self.published_at = self.reference - timedelta(days=28)
        self.people = list(product(data.FIRST_NAMES, data.LAST_NAMES))
        self.organisations: dict[str, Organisation] = {}
        self.contacts: dict[str, tuple[str, str, str]] = {}
        self.themes: dict[str, Theme] = {}

    def load(self, slug: str) -> None:
        self._load_organisations()
        self._load_themes()
        campaign = Campaign(
            name=f"Mois de l'ESS {self.anchor.year}",
            slug=slug,
            series=data.CAMPAIGN_SERIES,
            # Provisional dates, narrowed to the events' span once they exist.
            starts_on=self.anchor,
            ends_on=self.anchor,
            coordinator=self.organisations[data.CAMPAIGN_COORDINATOR],
            description=data.CAMPAIGN_DESCRIPTION,
            requires_approval=True,
        )
        db.session.add(campaign)
        events = [self._create_event(spec, campaign) for spec in data.EVENTS]
        campaign_events = [event for event in events if event.campaign is campaign]
        campaign.starts_on = min(event.starts_at.astimezone(PARIS).date() for event in campaign_events)
        campaign.ends_on = max(event.ends_at.astimezone(PARIS).date() for event in campaign_events)
        for event, spec in zip(events, data.EVENTS, strict=True):
            self._register(event, spec)
        db.session.flush()
        self._attendance(events)

    def _attendance(self, events: list[Event]) -> None:
        """Check-ins and walk-ins for the events already over (the figures
        pages then have attendance to show): about 85 % of the confirmed
        seats came, a class one pupil short, a few walk-ins."""
        for event in events:
            if event.status != EventStatus.PUBLISHED or event.ends_at > self.reference:
                continue
            confirmed = db.session.scalars(
                sa.select(Registration)
                .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
                .order_by(Registration.id)
            )
            for registration in confirmed:
                if self.rng.random() < 0.85:
                    seats = registration.seats - 1 if registration.seats > 5 else registration.seats
                    db.session.add(
                        CheckIn(
                            event_id=event.id,
                            registration_id=registration.id,
                            seats=seats,
                            recorded_at=event.starts_at,
                        )
                    )
            for category, count in ((ParticipantCategory.GRAND_PUBLIC, 6), (ParticipantCategory.ETUDIANT, 3)):
                db.session.add(
                    WalkIn(event_id=event.id, category=category, count=count, recorded_at=event.starts_at)
                )
        db.session.flush()

    def _load_organisations(self) -> None:
        # Reused when present (an earlier year's demo), as slugs are unique.
        slugs = [spec["slug"] for spec in data.ORGANISATIONS]
        query = sa.select(Organisation).where(Organisation.slug.in_(slugs))
        existing = {organisation.slug: organisation for organisation in db.session.scalars(query)}
        for spec in data.ORGANISATIONS:
            organisation = existing.get(spec["slug"])
            if organisation is None:
                organisation = Organisation(
                    name=spec["name"],
                    slug=spec["slug"],
                    kind=spec["kind"],
                    description=spec["description"],
                    department=spec["department"],
                    commune=spec["commune"],
                    website="https://" + spec["email"].split("@")[1],
                    contact_email=spec["email"],
                )
                db.session.add(organisation)
            self.organisations[spec["slug"]] = organisation
            self.contacts[spec["slug"]] = (spec["contact_name"], spec["email"], spec["phone"])

    def _load_themes(self) -> None:
        existing = {theme.slug: theme for theme in db.session.scalars(sa.select(Theme))}
        for slug, name in data.THEMES.items():
            theme = existing.get(slug) or Theme(slug=slug, name=name)
            db.session.add(theme)
            self.themes[slug] = theme

    def _create_event(self, spec: dict[str, Any], campaign: Campaign) -> Event:
        day = self.anchor + timedelta(days=spec["day"])
        starts_at = local_time(day, spec["start"])
        ends_at = local_time(day + timedelta(days=spec.get("end_day", 0)), spec["end"])
        venue_name, venue_address, postcode, commune, department = spec["venue"]
        latitude, longitude = spec.get("geo", (None, None))
        contact_name, contact_email, contact_phone = self.contacts[spec["org"]]
        status = spec.get("status", EventStatus.PUBLISHED)
        registration_required = spec.get("registration_required", True)
        closes = spec.get("closes")
        opens = spec.get("opens")
        fields: dict[str, Any] = {
            "campaign": campaign if spec.get("in_campaign", True) else None,
            "title": spec["title"],
            "summary": spec["summary"],
            "description": spec["description"],
            "kind": spec["kind"],
            "status": status,
            "venue_name": venue_name,
            "venue_address": venue_address,
            "venue_postcode": postcode,
            "commune": commune,
            "department": department,
            "latitude": latitude,
            "longitude": longitude,
            "online_url": spec.get("online_url"),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "timezone": "Europe/Paris",
            "capacity": spec.get("capacity"),
            "registration_required": registration_required,
            "registration_opens_at": (
                local_time(self.anchor + timedelta(days=opens[0]), opens[1:]) if opens else None
            ),
            "registration_closes_at": (
                local_time(day - timedelta(days=closes[0]), closes[1:]) if closes else None
            ),
            "waitlist_enabled": spec.get("waitlist", False),
            "max_seats_per_registration": spec.get("max_seats", 1),
            "accessibility_info": spec.get("accessibility", ""),
            "is_free": spec.get("is_free", True),
            "price_info": spec.get("price", ""),
            "contact_name": contact_name,
            "contact_email": contact_email,
            "contact_phone": contact_phone,
            # Drafts and submitted events have never been public.
            "published_at": (
                self.published_at if status in (EventStatus.PUBLISHED, EventStatus.CANCELLED) else None
            ),
            "audiences": spec["audiences"],
            "themes": [self.themes[slug] for slug in spec.get("themes", [])],
            "sessions": [
                Session(
                    title=title,
                    description=description,
                    location=room,
                    starts_at=local_time(day, start),
                    ends_at=local_time(day, end),
                    capacity=capacity,
                )
                for title, description, room, start, end, capacity in spec.get("sessions", [])
            ],
            "questions": [
                EventQuestion(label=label, kind=kind, choices=choices, required=required, position=position)
                for position, (label, kind, choices, required) in enumerate(spec.get("questions", []))
            ],
        }
        if status == EventStatus.CANCELLED:
            fields["cancelled_at"] = self.reference - timedelta(days=2)
            fields["cancellation_reason"] = spec["cancel"]
        return create_event(self.organisations[spec["org"]], **fields)

    # --- Registrations ---

    def _register(self, event: Event, spec: dict[str, Any]) -> None:
        fill = spec.get("fill", 0)
        target = event.capacity if fill == "full" else fill
        groups = spec.get("groups", [])
        waitlisted = spec.get("waitlisted", 0)
        if not (target or groups or waitlisted):
            return
        people = iter(self.rng.sample(self.people, target + len(groups) + waitlisted))
        categories = spec.get("categories", DEFAULT_CATEGORIES)
        seats_left = {session.id: session.capacity for session in event.sessions}
        registrations: list[Registration] = []

        for structure, seats in groups:
            registration = self._registration(event, next(people), ParticipantCategory.ETUDIANT, seats)
            # The teacher signs up the class: the school is the structure.
            registration.structure = structure
            registrations.append(registration)

        booked = 0
        while booked < target:
            seats = self.rng.choices(*GROUP_SIZES)[0]
            seats = min(seats, event.max_seats_per_registration, target - booked)
            registration = self._registration(event, next(people), self.rng.choice(categories), seats)
            registration.sessions = self._pick_sessions(event, spec.get("attend"), seats, seats_left)
            registrations.append(registration)
            booked += seats

        for position in range(1, waitlisted + 1):
            registration = self._registration(event, next(people), self.rng.choice(categories), 1)
            registration.status = RegistrationStatus.WAITLISTED
            registration.waitlist_position = position
            registration.confirmed_at = None
            registrations.append(registration)

        if event.status == EventStatus.CANCELLED:
            # The people signed up were told; their registrations are cancelled too.
            for registration in registrations:
                registration.status = RegistrationStatus.CANCELLED
                registration.cancelled_at = event.cancelled_at
        for registration in registrations:
            registration.answers = self._answers(event, registration)
        db.session.add_all(registrations)

    def _registration(
        self, event: Event, person: tuple[str, str], category: ParticipantCategory, seats: int
    ) -> Registration:
        first_name, last_name = person
        email = f"{slugify(first_name)}.{slugify(last_name)}@{self.rng.choice(data.EMAIL_DOMAINS)}"
        # Signed up some time between publication and the day before the event.
        latest = min(self.reference, event.starts_at - timedelta(days=1))
        if event.cancelled_at is not None:
            latest = min(latest, event.cancelled_at)
        signed_up_at = self.published_at + (latest - self.published_at) * self.rng.uniform(0.05, 1)
        structure_kind = STRUCTURE_KIND.get(category)
        return Registration(
            event=event,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=f"06 39 98 {self.rng.randint(0, 99):02d} {self.rng.randint(0, 99):02d}"
            if self.rng.random() < 0.3
            else None,
            structure=self.rng.choice(data.STRUCTURES[structure_kind]) if structure_kind else "",
            category=category,
            seats=seats,
            status=RegistrationStatus.CONFIRMED,
            token_hash=sha256(secrets.token_bytes(32)).hexdigest(),
            consent_at=signed_up_at,
            created_at=signed_up_at,
            updated_at=signed_up_at,
            confirmed_at=signed_up_at,
        )

    def _pick_sessions(
        self, event: Event, attend: str | None, seats: int, seats_left: dict[int, int | None]
    ) -> list[Session]:
        """The sessions a registrant books, never beyond a session's capacity."""
        if not attend or not event.sessions:
            return []
        chosen = [event.sessions[0]] if attend == "plenary-and-one" else []
        pool = event.sessions[1:] if attend == "plenary-and-one" else event.sessions
        open_sessions = [s for s in pool if seats_left[s.id] is None or seats_left[s.id] >= seats]
        if open_sessions:
            chosen.append(self.rng.choice(open_sessions))
        for session in chosen:
            if seats_left[session.id] is not None:
                seats_left[session.id] -= seats
        return chosen

    def _answers(self, event: Event, registration: Registration) -> list[RegistrationAnswer]:
        answers = []
        for question in event.questions:
            if question.kind == QuestionKind.YES_NO:
                value: Any = self.rng.random() < 0.8
            elif question.kind == QuestionKind.SINGLE_CHOICE:
                value = self.rng.choices(question.choices, [8, 3, 1, 1][: len(question.choices)])[0]
            else:
                continue
            answers.append(RegistrationAnswer(question=question, value=value))
        return answers
