"""The reminder rules of an organiser's event, and a preview of each
reminder as a person would get it (composed by the real mailer for a sample
registration that is never saved).

As in ``event_parts_service``: the actor is checked, the rule must belong to
the event (404), functions flush and never commit, refusals are
``EventRefused``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_mail import Message

from eventsapp.accounts.models import Membership
from eventsapp.admin.event_parts_service import check_editable
from eventsapp.admin.events_service import EventRefused, check_organiser
from eventsapp.catalog.models import Event
from eventsapp.db import now_utc
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.notifications.mailer import compose_email
from eventsapp.notifications.models import EmailKind
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus
from eventsapp.reminders import service as reminders
from eventsapp.reminders.models import (
    DeliveryStatus,
    ReminderAnchor,
    ReminderAudience,
    ReminderDelivery,
    ReminderRule,
)
from eventsapp.reminders.texts import PLACEHOLDERS

# Reminder rules ------------------------------------------------------------


@dataclass
class RuleDetails:
    anchor: ReminderAnchor
    days: int
    hours: int
    minutes: int
    local_time: time | None
    audience: ReminderAudience
    subject: str
    body: str
    survey_url: str | None = None
    active: bool = True


def get_rule(event: Event, rule_id: int | None) -> ReminderRule:
    rule = db.session.get(ReminderRule, rule_id) if rule_id else None
    if rule is None or rule.event_id != event.id:
        raise NotFound(str(rule_id))
    return rule


def _refused(error: reminders.InvalidReminderRule) -> EventRefused:
    return EventRefused(error.message, error.field)


def add_rule(event: Event, actor: Membership, details: RuleDetails) -> ReminderRule:
    check_editable(event, actor)
    try:
        rule = reminders.add_reminder_rule(
            event,
            anchor=details.anchor,
            days=details.days,
            hours=details.hours,
            minutes=details.minutes,
            local_time=details.local_time,
            audience=details.audience,
            subject=details.subject,
            body=details.body,
            survey_url=details.survey_url,
        )
    except reminders.InvalidReminderRule as error:
        raise _refused(error) from None
    rule.active = details.active
    db.session.flush()
    return rule


def _check_rule_texts(details: RuleDetails) -> None:
    # The same checks as ``add_reminder_rule``: a rule edited here obeys
    # the rules of a new one.
    if min(details.days, details.hours, details.minutes) < 0:
        raise EventRefused(_("Un délai ne peut pas être négatif."), "days")
    if details.local_time is not None and (details.hours or details.minutes):
        raise EventRefused(_("Avec une heure fixe, indiquez le délai en jours seulement."), "hours")
    try:
        reminders.check_rule_texts(details.subject, details.body, details.anchor, details.survey_url)
    except reminders.InvalidReminderRule as error:
        raise _refused(error) from None


def update_rule(event: Event, actor: Membership, rule_id: int, details: RuleDetails) -> ReminderRule:
    """Change a rule. When its due time moves, a rule already handled is
    handled again at the new time if that is to come (as when the event
    moves); deactivating it voids what it has not sent yet."""
    check_editable(event, actor)
    rule = get_rule(event, rule_id)
    details.subject, details.body = details.subject.strip(), details.body.strip()
    details.survey_url = (details.survey_url or "").strip() or None
    _check_rule_texts(details)
    now = now_utc()
    offset = (details.days * 24 + details.hours) * 60 + details.minutes
    due_at = reminders.compute_due_at(event, details.anchor, offset, details.local_time)
    moved = due_at != rule.due_at
    rule.anchor, rule.offset_minutes, rule.local_time = details.anchor, offset, details.local_time
    rule.audience, rule.subject, rule.body = details.audience, details.subject, details.body
    rule.survey_url, rule.due_at = details.survey_url, due_at
    if moved and not (rule.is_handled and due_at <= now):
        rule.generation += 1
        _void_due_deliveries(rule, "rule changed", now)
    if rule.active and not details.active:
        _void_due_deliveries(rule, "rule deactivated", now)
    rule.active = details.active
    db.session.flush()
    return rule


def _void_due_deliveries(rule: ReminderRule, reason: str, now: datetime) -> None:
    db.session.execute(
        sa.update(ReminderDelivery)
        .where(ReminderDelivery.rule_id == rule.id, ReminderDelivery.status == DeliveryStatus.DUE)
        .values(status=DeliveryStatus.SKIPPED, reason=reason, handled_at=now)
    )


def remove_rule(event: Event, actor: Membership, rule_id: int | None) -> None:
    """Remove a rule that has reached nobody yet (a rule that did stays, as
    the record of what was sent: it can be deactivated)."""
    check_editable(event, actor)
    rule = get_rule(event, rule_id)
    sent = db.session.scalar(
        sa.select(ReminderDelivery.id).where(ReminderDelivery.rule_id == rule.id).limit(1)
    )
    if sent is not None:
        raise EventRefused(
            _(
                "Ce rappel a déjà été envoyé à des inscrit·es : il reste dans l'historique. "
                "Décochez « actif » pour qu'il ne parte plus."
            )
        )
    db.session.delete(rule)
    db.session.flush()


def rule_placeholders() -> list[str]:
    return [f"{{{name}}}" for name in PLACEHOLDERS]


def rule_offset(rule: ReminderRule) -> tuple[int, int, int]:
    """(days, hours, minutes) of a rule's offset, for its form."""
    if rule.local_time is not None:
        return rule.offset_minutes // (24 * 60), 0, 0
    days, rest = divmod(rule.offset_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return days, hours, minutes


# Preview ---------------------------------------------------------------------


@dataclass(frozen=True)
class EmailPreview:
    subject: str
    recipient: str
    reply_to: str | None
    text: str
    html: str


SAMPLE_FIRST_NAME = "Camille"
SAMPLE_LAST_NAME = "Exemple"
SAMPLE_EMAIL = "camille.exemple@exemple.org"


def sample_registration(event: Event, rule: ReminderRule) -> Registration:
    """A registration that is never saved: a sample person of the rule's
    audience, with the event's first session if it has any."""
    waiting = rule.audience == ReminderAudience.WAITLISTED
    registration = Registration(
        first_name=SAMPLE_FIRST_NAME,
        last_name=SAMPLE_LAST_NAME,
        email=SAMPLE_EMAIL,
        category=ParticipantCategory.GRAND_PUBLIC,
        seats=1,
        status=RegistrationStatus.WAITLISTED if waiting else RegistrationStatus.CONFIRMED,
        token_salt="apercu-" + "0" * 20,
        consent_at=now_utc(),
    )
    # Set after construction and without a back-reference: the sample never
    # joins the database session.
    registration.event = event
    registration.sessions = list(event.sessions[:1])
    return registration


def preview_rule(event: Event, actor: Membership, rule_id: int | None) -> EmailPreview:
    """The reminder of ``rule_id`` as the mailer composes it for a sample
    person (nothing is stored or sent)."""
    check_organiser(event, actor)
    rule = get_rule(event, rule_id)
    registration = sample_registration(event, rule)
    with db.session.no_autoflush:
        message: Message = compose_email(EmailKind.REMINDER, registration, payload={"rule_id": rule.id})
    if registration in db.session:
        db.session.expunge(registration)  # never saved, whatever a cascade did
    return EmailPreview(
        subject=message.subject,
        recipient=message.recipients[0],
        reply_to=message.reply_to,
        text=message.body or "",
        html=message.html or "",
    )
