"""Reminder rules: defaults, due times, changes, and stopping them.

Each event has its rules (by default J-7 and J-1 at 9:00, event's time zone,
for the people holding a seat). A rule's ``due_at`` is computed here from the
event and stored; ``reschedule_event_reminders`` recomputes it when the event
moves (``catalog.service.update_event`` calls it). A rule whose due time
moves after it was handled is handled again at the new time: its
``generation`` goes up, and deliveries of the old time not sent yet are void.
The texts are in ``reminders.texts``, the scan that sends what is due in
``reminders.scan``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from eventsapp.catalog.models import Event
from eventsapp.db import now_utc
from eventsapp.errors import DomainError
from eventsapp.extensions import db
from eventsapp.registrations.models import Registration
from eventsapp.reminders.models import (
    DeliveryStatus,
    ReminderAnchor,
    ReminderAudience,
    ReminderDelivery,
    ReminderRule,
)
from eventsapp.reminders.texts import PLACEHOLDERS, default_rule_texts, default_thanks_texts, text_problem


class InvalidReminderRule(DomainError):
    """A rule the organiser must correct (French message, ``field`` at fault)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Due times -------------------------------------------------------------------


def compute_due_at(
    event: Event, anchor: ReminderAnchor, offset_minutes: int, local_time: time | None
) -> datetime:
    """When a rule is due for ``event``: ``offset_minutes`` before its start
    (or after its end); with ``local_time``, whole days before (or after) at
    that time of day in the event's time zone, whatever the summer/winter
    change in between."""
    zone = event.zone
    base = event.starts_at if anchor == ReminderAnchor.BEFORE_START else event.ends_at
    sign = -1 if anchor == ReminderAnchor.BEFORE_START else 1
    if local_time is None:
        return base + sign * timedelta(minutes=offset_minutes)
    day = base.astimezone(zone).date() + sign * timedelta(days=offset_minutes // (24 * 60))
    return datetime.combine(day, local_time, tzinfo=zone).astimezone(base.tzinfo)


def check_rule_texts(subject: str, body: str, anchor: ReminderAnchor, survey_url: str | None) -> None:
    """Raise ``InvalidReminderRule`` (French, naming the field) for texts that
    are empty, too long, or use an unknown placeholder, or a survey link
    that is missing or not http(s)."""
    for field_name, text, limit in (("subject", subject, 200), ("body", body, 10_000)):
        problem = text_problem(text, limit, PLACEHOLDERS)
        if problem is not None:
            raise InvalidReminderRule(problem, field_name)
    if "{questionnaire}" in body and not survey_url:
        raise InvalidReminderRule(
            _("Indiquez l'adresse du questionnaire, ou retirez {questionnaire}."), "survey_url"
        )
    if survey_url and not survey_url.startswith(("https://", "http://")):
        raise InvalidReminderRule(_("L'adresse du questionnaire doit commencer par https://."), "survey_url")


def add_reminder_rule(
    event: Event,
    *,
    anchor: ReminderAnchor = ReminderAnchor.BEFORE_START,
    days: int = 0,
    hours: int = 0,
    minutes: int = 0,
    local_time: time | None = None,
    audience: ReminderAudience = ReminderAudience.CONFIRMED,
    subject: str | None = None,
    body: str | None = None,
    survey_url: str | None = None,
) -> ReminderRule:
    """A new rule for ``event``: ``days``/``hours``/``minutes`` before its
    start (or after its end), at ``local_time`` if given (then only days
    count). Texts default to the standard reminder (or thank-you). Raises
    ``InvalidReminderRule``. Flushed, not committed."""
    anchor, audience = ReminderAnchor(anchor), ReminderAudience(audience)
    if min(days, hours, minutes) < 0:
        raise InvalidReminderRule(_("Un délai ne peut pas être négatif."), "offset")
    if local_time is not None and (hours or minutes):
        raise InvalidReminderRule(_("Avec une heure fixe, indiquez le délai en jours seulement."), "offset")
    offset_minutes = (days * 24 + hours) * 60 + minutes
    if anchor == ReminderAnchor.AFTER_END:
        default_subject, default_body = default_thanks_texts(with_survey=bool(survey_url))
    else:
        whole_days = days if days and not (hours or minutes) else None
        default_subject, default_body = default_rule_texts(whole_days)
    subject = (subject if subject is not None else default_subject).strip()
    body = (body if body is not None else default_body).strip()
    survey_url = (survey_url or "").strip() or None
    check_rule_texts(subject, body, anchor, survey_url)
    rule = ReminderRule(
        event_id=event.id,
        anchor=anchor,
        offset_minutes=offset_minutes,
        local_time=local_time,
        audience=audience,
        subject=subject,
        body=body,
        survey_url=survey_url,
        due_at=compute_due_at(event, anchor, offset_minutes, local_time),
    )
    db.session.add(rule)
    db.session.flush()
    return rule


def add_default_rules(event: Event) -> list[ReminderRule]:
    """J-7 and J-1 at 9:00 in the event's time zone, for confirmed people."""
    return [
        add_reminder_rule(event, days=days, local_time=time(9, 0))
        for days in current_app.config.get("DEFAULT_REMINDER_DAYS", (7, 1))
    ]


def event_rules(event_id: int) -> list[ReminderRule]:
    """The event's rules, the earliest due first."""
    return list(
        db.session.scalars(
            sa.select(ReminderRule).where(ReminderRule.event_id == event_id).order_by(ReminderRule.due_at)
        )
    )


def reschedule_event_reminders(event: Event, now: datetime | None = None) -> int:
    """Recompute the due time of the event's rules after it moved. A rule
    already handled is handled again at its new time if that is still to
    come. Returns how many rules moved. Flushed, not committed."""
    now = now or now_utc()
    moved = 0
    for rule in event_rules(event.id):
        due_at = compute_due_at(event, rule.anchor, rule.offset_minutes, rule.local_time)
        if due_at == rule.due_at:
            continue
        moved += 1
        rule.due_at = due_at
        if rule.is_handled and due_at <= now:
            continue  # handled at its old time, and its new one is past too
        rule.generation += 1
        # Deliveries of the old time not written to the outbox yet are void.
        db.session.execute(
            sa.update(ReminderDelivery)
            .where(
                ReminderDelivery.rule_id == rule.id,
                ReminderDelivery.status == DeliveryStatus.DUE,
                ReminderDelivery.generation < rule.generation,
            )
            .values(status=DeliveryStatus.SKIPPED, reason="event moved", handled_at=now)
        )
    db.session.flush()
    return moved


def stop_reminders(registration: Registration, now: datetime | None = None) -> bool:
    """The person asked for no more reminders about this registration (it
    stands). Returns False if they were already stopped. Flushed."""
    if registration.reminders_stopped_at is not None:
        return False
    registration.reminders_stopped_at = now or now_utc()
    db.session.flush()
    return True
