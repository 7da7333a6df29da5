"""Telling registrants that their event, or their workshop, moved or was
cancelled.

``catalog.service.update_event`` and ``cancel_event`` call these once per
change (a change of several fields is one notice). Every person holding a
seat or waiting for one gets an outbox e-mail saying what changed, before
and after; the key names the event's SEQUENCE, so a notice is written once
per change whatever retries happen. A workshop (session) whose time or room
changes (``admin.event_parts_service.update_session``) tells the people who
chose it, the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import gettext as _

from eventsapp.catalog.models import Event, Session
from eventsapp.extensions import db
from eventsapp.formatting import format_span
from eventsapp.notifications.models import EmailKind
from eventsapp.notifications.service import QueuedEmail, enqueue_emails
from eventsapp.registrations.models import Registration, RegistrationStatus, registration_sessions

if TYPE_CHECKING:
    from eventsapp.catalog.service import EventChanges

# Everyone holding a seat (pending ones too: they have not confirmed their
# address yet, but the seat is theirs) or waiting for one.
NOTIFIED_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
_PLACE_FIELDS = ("venue_name", "venue_address", "venue_postcode", "commune")


def _place(values: dict[str, Any]) -> str:
    street = ", ".join(part for part in (values.get("venue_name"), values.get("venue_address")) if part)
    town = " ".join(part for part in (values.get("venue_postcode"), values.get("commune")) if part)
    place = ", ".join(part for part in (street, town) if part)
    if values.get("online_url"):
        place = f"{place} — {_('en ligne')} : {values['online_url']}" if place else values["online_url"]
    return place or _("lieu à préciser")


def describe_changes(event: Event, changes: EventChanges) -> list[dict[str, str]]:
    """What changed, in French, before and after (times in the event's zone)."""
    old = changes.old_values
    described = []
    if changes.time:
        before = format_span(
            old.get("starts_at", event.starts_at),
            old.get("ends_at", event.ends_at),
            old.get("timezone", event.timezone),
        )
        described.append(
            {
                "what": _("Date et horaire"),
                "before": before,
                "after": format_span(event.starts_at, event.ends_at, event.timezone),
            }
        )
    if changes.place:
        fields = (*_PLACE_FIELDS, "online_url")
        current = {name: getattr(event, name) for name in fields}
        previous = {name: old.get(name, current[name]) for name in fields}
        described.append({"what": _("Lieu"), "before": _place(previous), "after": _place(current)})
    return described


def _recipients(event_id: int, session_id: int | None = None) -> list[tuple[int, str]]:
    """The people concerned by a notice about the event (or one session)."""
    statement = sa.select(Registration.id, Registration.email).where(
        Registration.event_id == event_id,
        Registration.status.in_(NOTIFIED_STATUSES),
        Registration.anonymised_at.is_(None),
    )
    if session_id is not None:
        statement = statement.where(
            Registration.id.in_(
                sa.select(registration_sessions.c.registration_id).where(
                    registration_sessions.c.session_id == session_id
                )
            )
        )
    return [(registration_id, email) for registration_id, email in db.session.execute(statement)]


def _notify(event: Event, kind: EmailKind, payload: dict[str, Any], session_id: int | None = None) -> int:
    emails = [
        QueuedEmail(
            registration_id=registration_id,
            recipient=email,
            key=f"email:{kind.value}:{registration_id}:{event.sequence}",
            payload=payload,
        )
        for registration_id, email in _recipients(event.id, session_id)
        if email
    ]
    return len(enqueue_emails(kind, emails))


def notify_event_changed(event: Event, changes: EventChanges) -> int:
    """One notice to each person concerned when the time or place changed.
    Returns how many were written. Flushes, never commits."""
    described = describe_changes(event, changes)
    if not described:
        return 0
    return _notify(event, EmailKind.EVENT_CHANGED, {"changes": described, "sequence": event.sequence})


def notify_event_cancelled(event: Event) -> int:
    """One notice to each person concerned: cancelled, why, and an apology
    (the e-mail gives the organiser's contact). Flushes, never commits."""
    return _notify(
        event,
        EmailKind.EVENT_CANCELLED,
        {"reason": event.cancellation_reason, "sequence": event.sequence},
    )


def describe_session_changes(event: Event, session: Session, old: dict[str, Any]) -> list[dict[str, str]]:
    """What changed in a workshop, in French, before and after: its time
    (in the event's zone) and its room. ``old``: its values before."""
    described = []
    # Compared as people read them: a time stored with seconds (a copied
    # event) and saved again from the form, to the minute, is no change.
    before = format_span(old["starts_at"], old["ends_at"], event.timezone)
    after = format_span(session.starts_at, session.ends_at, event.timezone)
    if before != after:
        described.append(
            {
                "what": _("Horaire de l'atelier « %(title)s »", title=session.title),
                "before": before,
                "after": after,
            }
        )
    if (old["location"] or "").strip() != (session.location or "").strip():
        described.append(
            {
                "what": _("Salle de l'atelier « %(title)s »", title=session.title),
                "before": old["location"] or _("lieu à préciser"),
                "after": session.location or _("lieu à préciser"),
            }
        )
    return described


def notify_session_changed(event: Event, session: Session, changes: list[dict[str, str]]) -> int:
    """One notice to each person concerned who chose ``session``, saying
    ``changes`` (``describe_session_changes``); the caller has raised the
    event's SEQUENCE (the notices' key, and the calendars' signal to
    update). Returns how many were written. Flushes, never commits."""
    if not changes:
        return 0
    return _notify(
        event,
        EmailKind.EVENT_CHANGED,
        {"changes": changes, "sequence": event.sequence, "session_id": session.id},
        session_id=session.id,
    )
