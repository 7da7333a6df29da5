"""Messages from organisers to (part of) an event's registrants.

A message is a subject and a plain-text body with the reminders'
placeholders (``{prenom}``, ``{nom}``, ``{evenement}``, ``{date}``, ``{lieu}``,
``{lien}``), for the registrants a ``RegistrantFilters`` selects (the list's
filter: status, session, category, checked in or not). It is previewed
through the real mailer (``mailer.compose_email``) for one recipient, then
sent in one transaction: one ``organiser_messages`` row and one outbox
e-mail per address (``enqueue_emails``, kind ``ORGANISER_MESSAGE``, payload
``{"message_id": …}``), which leave after the commit in batches. Delivery
figures are read from those outbox rows with one grouped query.

Functions take ids, flush and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_mail import Message
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from eventsapp.admin import registrants_filters
from eventsapp.admin.messages_models import OrganiserMessage
from eventsapp.admin.registrants_filters import RegistrantFilters
from eventsapp.catalog.models import Event
from eventsapp.db import now_utc
from eventsapp.errors import DomainError, NotFound
from eventsapp.extensions import db
from eventsapp.locking import prepare_write
from eventsapp.notifications.mailer import compose_email
from eventsapp.notifications.models import EmailKind, OutboxKind, OutboxMessage, OutboxStatus
from eventsapp.notifications.service import QueuedEmail, enqueue_emails
from eventsapp.registrations.models import ACTIVE_STATUSES, Registration
from eventsapp.registrations.tokens import derive_token
from eventsapp.reminders.links import stop_token
from eventsapp.reminders.texts import PLACEHOLDERS, filled_texts, placeholder_values, text_problem

MAX_SUBJECT = 200
MAX_BODY = 10_000
# The reminders' placeholders, but the survey link (a message has none).
MESSAGE_PLACEHOLDERS = {name: meaning for name, meaning in PLACEHOLDERS.items() if name != "questionnaire"}
# Outbox states, as the history counts them.
PENDING_STATES = (OutboxStatus.PENDING, OutboxStatus.DISPATCHED)
FAILED_STATES = (OutboxStatus.FAILED, OutboxStatus.CANCELLED)


class InvalidMessage(DomainError):
    """A message the organiser must correct; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AlreadySent(DomainError):
    """This confirmation form was already used: the message went out."""

    def __init__(self, message: str, message_id: int) -> None:
        super().__init__(message)
        self.message_id = message_id


@dataclass(frozen=True)
class Draft:
    """What the organiser wrote, and for whom."""

    subject: str
    body: str
    filters: RegistrantFilters


# Texts -------------------------------------------------------------------------


def check_texts(subject: str, body: str) -> None:
    """Refuse, in French, an empty or too long text or an unknown placeholder."""
    for field, text, limit in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        problem = text_problem(text, limit, MESSAGE_PLACEHOLDERS)
        if problem is not None:
            raise InvalidMessage(problem, field)


@dataclass(frozen=True)
class _NoSurvey:
    # ``placeholder_values`` reads a reminder rule's survey link; a message has none.
    survey_url: None = None


def render_texts(subject: str, body: str, registration: Registration) -> tuple[str, str]:
    """Subject and body with the placeholders filled in for ``registration``."""
    values = placeholder_values(_NoSurvey(), registration)  # type: ignore[arg-type]
    values.pop("questionnaire", None)
    return filled_texts(subject, body, values)


def message_texts(payload: dict, registration: Registration) -> tuple[str, str]:
    """For ``mailer.compose_email``: the subject and body of the outbox
    e-mail whose payload names a stored message (or, for a preview, carries
    ``subject`` and ``body``), placeholders filled in."""
    if payload.get("message_id") is not None:
        message = db.session.get(OrganiserMessage, payload["message_id"])
        if message is None:
            raise LookupError(f"organiser message {payload['message_id']} is gone")
        return render_texts(message.subject, message.body, registration)
    return render_texts(payload.get("subject") or "", payload.get("body") or "", registration)


# Recipients --------------------------------------------------------------------


def recipients(event_id: int, filters: RegistrantFilters) -> list[Registration]:
    """Who the message goes to: the registrations the filter selects, by
    last name, without erased ones, one per address (an active registration
    rather than a cancelled one of the same person)."""
    chosen: dict[str, Registration] = {}
    for registration in registrants_filters.load_registrations(
        registrants_filters.matching_ids(event_id, filters)
    ):
        if registration.anonymised_at is not None or not registration.email:
            continue
        kept = chosen.get(registration.email)
        if kept is None or (kept.status not in ACTIVE_STATUSES and registration.status in ACTIVE_STATUSES):
            chosen[registration.email] = registration
    ordered = sorted(
        chosen.values(), key=lambda r: registrants_filters.sort_key(r.first_name, r.last_name, r.id)
    )
    return ordered


def _no_one() -> InvalidMessage:
    return InvalidMessage(_("Personne ne correspond à ce choix : aucun message ne partirait."), "status")


@dataclass(frozen=True)
class Preview:
    email: Message
    recipient: Registration
    recipient_count: int


def preview(event: Event, draft: Draft) -> Preview:
    """The e-mail the first recipient would get, composed by the real mailer
    (the person's private link and stop-reminders link masked, in the
    subject as in the texts: they are theirs alone, and the private link
    opens their calendar feed, which lists their registrations at other
    organisations' events). Writes nothing."""
    check_texts(draft.subject, draft.body)
    people = recipients(event.id, draft.filters)
    if not people:
        raise _no_one()
    first = people[0]
    email = compose_email(
        EmailKind.ORGANISER_MESSAGE, first, payload={"subject": draft.subject, "body": draft.body}
    )
    # The tokens, not the links: they are URL-safe, so every shape a link
    # may take (escaped, percent-encoded, with "/confirm") still holds them;
    # and every text the page shows ({lien} may stand in the subject too).
    masked = _("lien-personnel")
    for token in (derive_token(first.token_salt), stop_token(first)):
        email.subject = (email.subject or "").replace(token, masked)
        email.body = (email.body or "").replace(token, masked)
        email.html = (email.html or "").replace(token, masked)
    return Preview(email=email, recipient=first, recipient_count=len(people))


def preview_digest(event_id: int, draft: Draft, send_key: str) -> str:
    """A signature of exactly what was previewed: sending checks it, so what
    goes out is what the organiser saw."""
    content = json.dumps(
        [event_id, draft.subject, draft.body, draft.filters.query_args(), send_key], ensure_ascii=False
    )
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, content.encode(), hashlib.sha256).hexdigest()


# Sending -------------------------------------------------------------------------


def send_message(
    event: Event, author_id: int | None, draft: Draft, send_key: str, now: datetime | None = None
) -> OrganiserMessage:
    """Store the message and put one e-mail per recipient in the outbox, in
    the caller's transaction. A ``send_key`` already used raises
    ``AlreadySent``; no recipient raises ``InvalidMessage``."""
    now = now or now_utc()
    check_texts(draft.subject, draft.body)
    if not send_key or len(send_key) > 64:
        raise InvalidMessage(_("Le formulaire est incomplet : prévisualisez le message à nouveau."))
    prepare_write()
    existing = db.session.scalar(sa.select(OrganiserMessage.id).where(OrganiserMessage.send_key == send_key))
    if existing is not None:
        raise AlreadySent(_("Ce message a déjà été envoyé."), existing)
    people = recipients(event.id, draft.filters)
    if not people:
        raise _no_one()
    message = OrganiserMessage(
        event_id=event.id,
        author_id=author_id,
        subject=draft.subject.strip(),
        body=draft.body.replace("\r\n", "\n").strip(),
        audience=draft.filters.describe(event)[:500],
        filters=draft.filters.query_args(),
        send_key=send_key,
        created_at=now,
    )
    try:
        # A second click racing the first waits on the unique send_key, then
        # lands here once the first has committed.
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        existing = db.session.scalar(
            sa.select(OrganiserMessage.id).where(OrganiserMessage.send_key == send_key)
        )
        raise AlreadySent(_("Ce message a déjà été envoyé."), existing) from None
    created = enqueue_emails(
        EmailKind.ORGANISER_MESSAGE,
        [
            QueuedEmail(
                registration_id=person.id,
                recipient=person.email,
                key=f"email:{EmailKind.ORGANISER_MESSAGE.value}:{message.id}:{person.id}",
                payload={"message_id": message.id},
            )
            for person in people
        ],
    )
    message.recipients_count = len(created)
    db.session.flush()
    return message


# History -------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """How a message's e-mails are doing."""

    sent: int = 0
    pending: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed

    @property
    def done(self) -> int:
        return self.sent + self.failed

    @property
    def in_progress(self) -> bool:
        return self.pending > 0


def _message_rows(event_id: int) -> sa.Select:
    """The event's organiser-message outbox rows (through their registration,
    whose event is indexed), with the message id from the payload."""
    return (
        sa.select(
            OutboxMessage.payload["message_id"].as_integer().label("message_id"),
            OutboxMessage.status.label("status"),
        )
        .join(Registration, Registration.id == OutboxMessage.registration_id)
        .where(
            Registration.event_id == event_id,
            OutboxMessage.kind == OutboxKind.EMAIL,
            OutboxMessage.email_kind == EmailKind.ORGANISER_MESSAGE,
        )
    )


def delivery_counts(event_id: int) -> dict[int, Delivery]:
    """Sent / pending / failed per message of the event: one grouped query."""
    rows = _message_rows(event_id).subquery()
    counted = db.session.execute(
        sa.select(rows.c.message_id, rows.c.status, sa.func.count()).group_by(
            rows.c.message_id, rows.c.status
        )
    ).all()
    tallies: dict[int, Counter] = {}
    for message_id, status, count in counted:
        tallies.setdefault(message_id, Counter())[OutboxStatus(status)] += count
    return {
        message_id: Delivery(
            sent=tally[OutboxStatus.SENT],
            pending=sum(tally[state] for state in PENDING_STATES),
            failed=sum(tally[state] for state in FAILED_STATES),
        )
        for message_id, tally in tallies.items()
    }


@dataclass(frozen=True)
class HistoryRow:
    message: OrganiserMessage
    delivery: Delivery


def history(event_id: int) -> list[HistoryRow]:
    """The event's messages, latest first, each with its delivery figures."""
    messages = db.session.scalars(
        sa.select(OrganiserMessage)
        .where(OrganiserMessage.event_id == event_id)
        .options(selectinload(OrganiserMessage.author))
        .order_by(OrganiserMessage.created_at.desc(), OrganiserMessage.id.desc())
    ).all()
    counts = delivery_counts(event_id)
    return [HistoryRow(message, counts.get(message.id, Delivery())) for message in messages]


def get_event_message(event_id: int, message_id: int) -> OrganiserMessage:
    message = db.session.get(OrganiserMessage, message_id)
    if message is None or message.event_id != event_id:
        raise NotFound(str(message_id))
    return message


def message_outbox(message: OrganiserMessage) -> list[tuple[OutboxMessage, Registration]]:
    """Each recipient's e-mail of ``message`` with its registration, by name."""
    rows = db.session.execute(
        sa.select(OutboxMessage, Registration)
        .join(Registration, Registration.id == OutboxMessage.registration_id)
        .where(
            Registration.event_id == message.event_id,
            OutboxMessage.email_kind == EmailKind.ORGANISER_MESSAGE,
            OutboxMessage.payload["message_id"].as_integer() == message.id,
        )
    ).all()
    return sorted(
        ((outbox, registration) for outbox, registration in rows),
        key=lambda row: registrants_filters.sort_key(row[1].first_name, row[1].last_name, row[1].id),
    )
