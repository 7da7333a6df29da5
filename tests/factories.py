"""factory_boy factories returning saved (flushed) objects with French data.

They write to ``db.session`` as it is at call time, which the ``db_session``
fixture points at the rolled-back test transaction.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from hashlib import sha256

import factory
from factory.alchemy import SQLAlchemyModelFactory

from eventsapp.catalog.models import Campaign, Event, Session
from eventsapp.catalog.vocabulary import EventKind, EventStatus
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation, OrganisationKind
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


def in_days(days: float, hour: int = 18, minute: int = 30) -> datetime:
    """A UTC moment ``days`` from now at a given UTC hour."""
    base = now_utc() + timedelta(days=days)
    return base.replace(hour=hour, minute=minute, second=0, microsecond=0)


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Association Solidaire n° {n}")
    slug = factory.Sequence(lambda n: f"association-solidaire-{n}")
    kind = OrganisationKind.ASSOCIATION
    department = "53"
    commune = "Laval"
    website = "https://exemple.org"
    contact_email = factory.Sequence(lambda n: f"contact{n}@exemple.org")


class CampaignFactory(BaseFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Mois de l'ESS {2026 + n}")
    slug = factory.Sequence(lambda n: f"mois-ess-{2026 + n}")
    series = "mois-ess"
    starts_on = date(2026, 11, 1)
    ends_on = date(2026, 11, 30)
    coordinator = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.RESEAU)
    description = "Un mois pour découvrir l'économie sociale et solidaire près de chez vous."


class EventFactory(BaseFactory):
    class Meta:
        model = Event

    organisation = factory.SubFactory(OrganisationFactory)
    campaign = None
    title = factory.Sequence(lambda n: f"Ciné-débat « Demain » n° {n}")
    slug = factory.Sequence(lambda n: f"cine-debat-demain-{n}")
    summary = "Projection suivie d'un échange avec des acteurs locaux de l'ESS."
    description = "Une soirée pour parler d'économie sociale et solidaire.\n\nEntrée libre."
    kind = EventKind.CINE_DEBAT
    status = EventStatus.PUBLISHED
    venue_name = "Cinéma Le Vox"
    venue_address = "12 rue de la Paix"
    venue_postcode = "53000"
    commune = "Laval"
    department = "53"
    starts_at = factory.LazyFunction(lambda: in_days(10))
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=2))
    timezone = "Europe/Paris"
    capacity = 80
    registration_required = True
    contact_name = "Camille Martin"
    contact_email = "camille@exemple.org"
    published_at = factory.LazyFunction(now_utc)


class SessionFactory(BaseFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Atelier n° {n}")
    starts_at = factory.LazyAttribute(lambda session: session.event.starts_at)
    ends_at = factory.LazyAttribute(lambda session: session.starts_at + timedelta(hours=1))
    capacity = 40


class RegistrationFactory(BaseFactory):
    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory)
    first_name = "Claude"
    last_name = factory.Sequence(lambda n: f"Durand{n}")
    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    category = ParticipantCategory.GRAND_PUBLIC
    seats = 1
    status = RegistrationStatus.CONFIRMED
    token_hash = factory.LazyFunction(lambda: sha256(secrets.token_bytes(16)).hexdigest())
    consent_at = factory.LazyFunction(lambda: datetime.now(UTC))
