"""An organisation's personal-data duties (RGPD): find a person's data in
the organisation's events, erase it on request, export it, and choose how
long it is kept after an event.

Everything is scoped by the organisation id the caller gives (the current
organisation): an organisation answers for the registrations to *its*
events only, never another organisation's, even for the same address.
Erasure is ``registrations.privacy.anonymise_registration`` (the rows stay,
without personal data, so the figures stay right). Functions flush, never
commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from eventsapp.catalog.models import Event
from eventsapp.checkin.models import CheckIn
from eventsapp.db import now_utc
from eventsapp.errors import DomainError, NotFound
from eventsapp.extensions import db
from eventsapp.notifications.models import OutboxKind, OutboxMessage
from eventsapp.organisations.models import MAX_RETENTION_MONTHS, Organisation
from eventsapp.registrations.models import Registration, RegistrationAnswer
from eventsapp.registrations.privacy import anonymise_registration


class PrivacyError(DomainError):
    """A refused change (a retention out of bounds…); the message is French."""


def normalise_email(email: str) -> str:
    """Addresses are stored lower-cased (``registrations.service``)."""
    return (email or "").strip().lower()


def person_registrations(organisation_id: int, email: str) -> list[Registration]:
    """The registrations of ``email`` to the organisation's events (erased
    ones hold no address any more), latest event first."""
    address = normalise_email(email)
    if not address:
        return []
    return list(
        db.session.scalars(
            sa.select(Registration)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Event.organisation_id == organisation_id,
                Registration.email == address,
                Registration.anonymised_at.is_(None),
            )
            .options(
                joinedload(Registration.event),
                selectinload(Registration.sessions),
                selectinload(Registration.answers).joinedload(RegistrationAnswer.question),
            )
            .order_by(Event.starts_at.desc(), Registration.id)
        )
    )


def registration_of(organisation_id: int, registration_id: int) -> Registration:
    """A registration to one of the organisation's events (the registrants'
    list links here); ``NotFound`` otherwise, erased ones included."""
    registration = db.session.get(Registration, registration_id)
    if (
        registration is None
        or registration.anonymised_at is not None
        or registration.event.organisation_id != organisation_id
    ):
        raise NotFound("registration")
    return registration


def erase_person(organisation_id: int, email: str, now: datetime | None = None) -> int:
    """Erase the personal data of ``email``'s registrations to the
    organisation's events (a registration to an event still to come is
    cancelled first: the person will not come). Returns how many."""
    now = now or now_utc()
    ids = [registration.id for registration in person_registrations(organisation_id, email)]
    for registration_id in ids:
        anonymise_registration(registration_id, now)
    return len(ids)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_person(organisation_id: int, email: str, now: datetime | None = None) -> dict[str, Any]:
    """Everything the organisation holds about ``email`` (right of access
    and portability): each registration to its events with the event, the
    answers to the event's questions, check-ins, and the e-mails sent."""
    now = now or now_utc()
    organisation = db.session.get(Organisation, organisation_id)
    registrations = person_registrations(organisation_id, email)
    ids = [registration.id for registration in registrations]
    emails: dict[int, list[dict[str, Any]]] = {registration_id: [] for registration_id in ids}
    checkins: dict[int, list[dict[str, Any]]] = {registration_id: [] for registration_id in ids}
    if ids:
        for message in db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.registration_id.in_(ids), OutboxMessage.kind == OutboxKind.EMAIL)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        ):
            emails[message.registration_id].append(
                {
                    "kind": message.email_kind.value if message.email_kind else None,
                    "description": str(message.email_kind.label) if message.email_kind else None,
                    "recipient": message.recipient,
                    "status": message.status.value,
                    "created_at": _iso(message.created_at),
                    "sent_at": _iso(message.sent_at),
                }
            )
        for checkin in db.session.scalars(
            sa.select(CheckIn).where(CheckIn.registration_id.in_(ids)).order_by(CheckIn.recorded_at)
        ):
            checkins[checkin.registration_id].append(
                {
                    "session_id": checkin.session_id,
                    "seats": checkin.seats,
                    "recorded_at": _iso(checkin.recorded_at),
                }
            )
    return {
        "generated_at": _iso(now),
        "organisation": {
            "name": organisation.name if organisation else "",
            "contact_email": organisation.contact_email if organisation else None,
            "retention_months": organisation.retention_months if organisation else MAX_RETENTION_MONTHS,
        },
        "email": normalise_email(email),
        "registrations": [
            _registration_export(registration, emails[registration.id], checkins[registration.id])
            for registration in registrations
        ],
    }


def _registration_export(
    registration: Registration, emails: list[dict[str, Any]], checkins: list[dict[str, Any]]
) -> dict[str, Any]:
    event = registration.event
    sessions = {session.id: session.title for session in event.sessions}
    return {
        "id": registration.id,
        "event": {
            "title": event.title,
            "starts_at": _iso(event.starts_at),
            "ends_at": _iso(event.ends_at),
            "timezone": event.timezone,
            "venue": ", ".join(
                part
                for part in (event.venue_name, event.venue_address, event.venue_postcode, event.commune)
                if part
            ),
        },
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email,
        "phone": registration.phone,
        "structure": registration.structure,
        "category": registration.category.value,
        "seats": registration.seats,
        "status": registration.status.value,
        "created_at": _iso(registration.created_at),
        "consent_at": _iso(registration.consent_at),
        "confirmed_at": _iso(registration.confirmed_at),
        "cancelled_at": _iso(registration.cancelled_at),
        "reminders_stopped_at": _iso(registration.reminders_stopped_at),
        "sessions": [
            {"title": session.title, "starts_at": _iso(session.starts_at)}
            for session in registration.sessions
        ],
        "answers": [
            {"question": answer.question.label, "value": answer.value}
            for answer in sorted(registration.answers, key=lambda answer: answer.question.position)
        ],
        # "session" None: checked in at the event's door.
        "check_ins": [
            {
                "session": sessions.get(checkin["session_id"]),
                "seats": checkin["seats"],
                "recorded_at": checkin["recorded_at"],
            }
            for checkin in checkins
        ],
        "emails": emails,
    }


def set_retention(organisation_id: int, months: int) -> Organisation:
    """How many months after an event its registrants' data are kept:
    between 1 and 12 (the consent text promises 12 at most)."""
    if not 1 <= months <= MAX_RETENTION_MONTHS:
        raise PrivacyError(
            _(
                "Choisissez une durée entre 1 et %(max)s mois : le texte d'accord des inscriptions "
                "promet %(max)s mois au plus.",
                max=MAX_RETENTION_MONTHS,
            )
        )
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(str(organisation_id))
    organisation.retention_months = months
    db.session.flush()
    return organisation
