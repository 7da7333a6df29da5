"""Helpers of the back-office events tests: an organisation with its owner,
editor and check-in member, a coordinating CRESS, a valid event form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from eventsapp.accounts.models import Membership, Role
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind, OutboxMessage
from tests.accounts_support import make_member
from tests.factories import CampaignFactory, OrganisationFactory


@dataclass
class Club:
    organisation_id: int
    owner: Membership
    editor: Membership
    checkin: Membership
    outsider: Membership  # owner of another organisation
    coordinator: Membership  # editor of the CRESS coordinating ``campaign_id``
    campaign_id: int  # requires approval, all of November 2026… of next year
    open_campaign_id: int  # no approval needed


def make_club() -> Club:
    club = OrganisationFactory(name="Club ESS de la Sarthe")
    other = OrganisationFactory(name="Coopérative Voisine")
    cress = OrganisationFactory(name="CRESS Pays de la Loire")
    year = date.today().year + 1
    campaign = CampaignFactory(
        name=f"Mois de l'ESS {year}",
        slug=f"mois-ess-test-{year}",
        coordinator=cress,
        requires_approval=True,
        starts_on=date(year, 11, 1),
        ends_on=date(year, 11, 30),
    )
    open_campaign = CampaignFactory(
        name=f"Semaine libre {year}",
        slug=f"semaine-libre-{year}",
        coordinator=cress,
        requires_approval=False,
        starts_on=date(year, 1, 1),
        ends_on=date(year, 12, 31),
    )
    result = Club(
        organisation_id=club.id,
        owner=make_member(club, Role.OWNER, full_name="Anne Responsable"),
        editor=make_member(club, Role.EDITOR, full_name="Éric Éditeur"),
        checkin=make_member(club, Role.CHECKIN, full_name="Chloé Accueil"),
        outsider=make_member(other, Role.OWNER, full_name="Olivier Voisin"),
        coordinator=make_member(cress, Role.EDITOR, full_name="Carole Coordinatrice"),
        campaign_id=campaign.id,
        open_campaign_id=open_campaign.id,
    )
    db.session.commit()
    return result


def event_form(**overrides: object) -> dict[str, object]:
    """A valid event form: a Journée de l'ESS next 17 November, 9:00–17:30."""
    year = date.today().year + 1
    data: dict[str, object] = {
        "title": "Journée de l'ESS",
        "kind": "forum",
        "summary": "Plénière et ateliers pour découvrir l'ESS.",
        "description": "Une journée entière.",
        "audiences": ["grand-public", "professionnels-ess"],
        "campaign_id": "",
        "start_date": f"17/11/{year}",
        "start_time": "9h",
        "end_date": "",
        "end_time": "17:30",
        "timezone": "Europe/Paris",
        "venue_name": "Abbaye de l'Épau",
        "venue_address": "Route de Changé",
        "venue_postcode": "72530",
        "commune": "Yvré-l'Évêque",
        "department": "72",
        "online_url": "",
        "registration_required": "y",
        "capacity": "250",
        "max_seats_per_registration": "30",
        "waitlist_enabled": "y",
        "waitlist_cutoff_hours": "2",
        "pending_expiry_hours": "24",
        "is_free": "y",
        "contact_name": "Anne Responsable",
        "contact_email": "Contact@Club-ESS.fr",
        "contact_phone": "02 43 00 00 00",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def outbox_emails(kind: EmailKind, event_id: int | None = None) -> list[OutboxMessage]:
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.email_kind == kind).order_by(OutboxMessage.id)
    ).all()
    if event_id is None:
        return list(rows)
    from eventsapp.registrations.models import Registration

    ids = set(db.session.scalars(sa.select(Registration.id).where(Registration.event_id == event_id)))
    return [row for row in rows if row.registration_id in ids]


def tasks(task_name: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.task_name == task_name)))
