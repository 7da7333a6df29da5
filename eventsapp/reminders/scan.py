"""The scan that sends the reminders come due, and what the ``flask
reminders`` command shows.

``scan_due_reminders`` (beat, every minute) does two things, each on rows
locked with ``FOR UPDATE SKIP LOCKED`` so that several workers share the work
without doing it twice (SQLite has no row locks; its write lock serialises
them, and one worker is the embedded setup):

1. *expand* each rule come due into one ``ReminderDelivery`` per person it
   concerns: in the rule's audience then, signed up before the due time
   (someone who signs up after it does not get that reminder), reminders not
   stopped, personal data not erased. A rule found more than ``REMINDER_MAX_LATE``
   late (default 6 h), or a "before" reminder found after the event started,
   is recorded as missed, not sent;
2. *queue* due deliveries in batches: each is checked again (the event may
   have been cancelled or moved, the person may have cancelled), then gets an
   outbox e-mail (``EmailKind.REMINDER``), which leaves after the commit; the
   sending checks once more (``reminder_obsolete_reason``).

No Celery ETA or countdown is used for reminders: a far-future task is lost
with its broker and cannot follow an event that moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from eventsapp.catalog.models import Event
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.formatting import format_moment
from eventsapp.locking import prepare_write
from eventsapp.notifications.models import EmailKind
from eventsapp.notifications.service import QueuedEmail, enqueue_emails
from eventsapp.registrations.models import Registration, RegistrationStatus
from eventsapp.reminders.models import (
    DeliveryStatus,
    ReminderAnchor,
    ReminderAudience,
    ReminderDelivery,
    ReminderRule,
)

DEFAULT_MAX_LATE = timedelta(hours=6)
EXPAND_BATCH = 100
QUEUE_BATCH = 1000


# The scan --------------------------------------------------------------------


@dataclass
class ScanResult:
    rules_handled: int = 0
    queued: int = 0
    missed: int = 0
    skipped: int = 0
    more: bool = False  # a batch was full: scan again

    def __str__(self) -> str:
        return (
            f"{self.rules_handled} rule(s) handled, {self.queued} reminder(s) queued, "
            f"{self.missed} missed, {self.skipped} skipped"
        )


def _max_late() -> timedelta:
    minutes = current_app.config.get("REMINDER_MAX_LATE_MINUTES")
    return timedelta(minutes=minutes) if minutes is not None else DEFAULT_MAX_LATE


def _too_late(anchor: ReminderAnchor, due_at: datetime, event: Event | sa.Row, now: datetime) -> bool:
    if now - due_at > _max_late():
        return True
    return anchor == ReminderAnchor.BEFORE_START and now >= event.starts_at


def scan_due_reminders(
    now: datetime | None = None, *, expand_batch: int = EXPAND_BATCH, queue_batch: int = QUEUE_BATCH
) -> ScanResult:
    """Expand the rules come due, then queue up to ``queue_batch`` due
    reminders in the outbox. Flushes, never commits: the task commits, and
    scans again while ``result.more``."""
    now = now or now_utc()
    prepare_write()
    result = ScanResult()
    _expand_due_rules(now, expand_batch, result)
    _queue_due_deliveries(now, queue_batch, result)
    return result


def _expand_due_rules(now: datetime, limit: int, result: ScanResult) -> None:
    rules = db.session.scalars(
        sa.select(ReminderRule)
        .where(
            ReminderRule.active.is_(True),
            ReminderRule.due_at <= now,
            ReminderRule.handled_generation < ReminderRule.generation,
        )
        .order_by(ReminderRule.due_at, ReminderRule.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if len(rules) == limit:
        result.more = True
    for rule in rules:
        event = db.session.get(Event, rule.event_id)
        rule.handled_generation = rule.generation
        result.rules_handled += 1
        if event is None or event.status != EventStatus.PUBLISHED:
            continue  # cancelled (the cancellation notice said so) or withdrawn
        late = _too_late(rule.anchor, rule.due_at, event, now)
        status = DeliveryStatus.MISSED if late else DeliveryStatus.DUE
        concerned = sa.select(
            sa.literal(rule.id),
            Registration.id,
            sa.literal(rule.generation),
            sa.literal(rule.due_at, ReminderDelivery.due_at.type),
            sa.literal(status.value),
            sa.literal("too late" if late else ""),
            sa.literal(now, ReminderDelivery.created_at.type),
            sa.literal(now if late else None, ReminderDelivery.handled_at.type),
        ).where(
            Registration.event_id == rule.event_id,
            Registration.status == rule.audience.registration_status,
            Registration.created_at <= rule.due_at,
            Registration.reminders_stopped_at.is_(None),
            Registration.anonymised_at.is_(None),
        )
        table = ReminderDelivery.__table__
        inserted = db.session.execute(
            table.insert()
            .from_select(
                [
                    "rule_id",
                    "registration_id",
                    "generation",
                    "due_at",
                    "status",
                    "reason",
                    "created_at",
                    "handled_at",
                ],
                concerned,
            )
            .returning(table.c.id)
        ).all()
        if late:
            result.missed += len(inserted)
    db.session.flush()


def _queue_due_deliveries(now: datetime, limit: int, result: ScanResult) -> None:
    deliveries = db.session.execute(
        sa.select(
            ReminderDelivery.id,
            ReminderDelivery.generation,
            ReminderDelivery.due_at,
            ReminderRule.id.label("rule_id"),
            ReminderRule.generation.label("rule_generation"),
            ReminderRule.anchor,
            ReminderRule.audience,
            Event.status.label("event_status"),
            Event.starts_at,
            Registration.id.label("registration_id"),
            Registration.status.label("registration_status"),
            Registration.email,
            Registration.reminders_stopped_at,
            Registration.anonymised_at,
        )
        .join(ReminderRule, ReminderRule.id == ReminderDelivery.rule_id)
        .join(Event, Event.id == ReminderRule.event_id)
        .join(Registration, Registration.id == ReminderDelivery.registration_id)
        .where(ReminderDelivery.status == DeliveryStatus.DUE)
        .order_by(ReminderDelivery.due_at, ReminderDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=ReminderDelivery)
    ).all()
    if len(deliveries) == limit:
        result.more = True
    to_send: list[QueuedEmail] = []
    outcomes: list[dict[str, Any]] = []
    for row in deliveries:
        reason = _why_not_send(row, now)
        if reason is None:
            to_send.append(
                QueuedEmail(
                    registration_id=row.registration_id,
                    recipient=row.email,
                    key=f"email:reminder:{row.id}",
                    payload={"rule_id": row.rule_id, "delivery_id": row.id},
                )
            )
            continue
        status = DeliveryStatus.MISSED if reason == "too late" else DeliveryStatus.SKIPPED
        outcomes.append({"delivery_id": row.id, "status": status.value, "reason": reason, "message_id": None})
        if status == DeliveryStatus.MISSED:
            result.missed += 1
        else:
            result.skipped += 1
    if to_send:
        message_ids = enqueue_emails(EmailKind.REMINDER, to_send)
        for email, row_id in zip(to_send, _delivery_ids(to_send), strict=True):
            outcomes.append(
                {
                    "delivery_id": row_id,
                    "status": DeliveryStatus.QUEUED.value,
                    "reason": "",
                    "message_id": message_ids.get(email.key),
                }
            )
        result.queued += len(to_send)
    if outcomes:
        table = ReminderDelivery.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("delivery_id"))
            .values(
                status=sa.bindparam("status"),
                reason=sa.bindparam("reason"),
                outbox_message_id=sa.bindparam("message_id"),
                handled_at=now,
            ),
            outcomes,
        )


def _delivery_ids(emails: Sequence[QueuedEmail]) -> list[int]:
    return [int(email.payload["delivery_id"]) for email in emails]


def _why_not_send(row: sa.Row, now: datetime) -> str | None:
    """Why a due reminder must not leave now (checked again at queue time:
    things change between the due time and the scan), or None."""
    if row.generation != row.rule_generation:
        return "event moved"
    if row.event_status != EventStatus.PUBLISHED:
        return "event cancelled"
    if row.registration_status != ReminderAudience(row.audience).registration_status:
        return f"registration {row.registration_status}"
    if row.reminders_stopped_at is not None:
        return "reminders stopped"
    if row.anonymised_at is not None or not row.email:
        return "personal data erased"
    if _too_late(ReminderAnchor(row.anchor), row.due_at, row, now):
        return "too late"
    return None


def reminder_obsolete_reason(registration: Registration, payload: dict[str, Any]) -> str | None:
    """Checked again when a reminder's e-mail is sent: why it must not leave
    now (cancelled since the scan, reminders stopped, event cancelled), or None."""
    rule = db.session.get(ReminderRule, payload.get("rule_id")) if payload.get("rule_id") else None
    expected = rule.audience.registration_status if rule is not None else RegistrationStatus.CONFIRMED
    if registration.status != expected:
        return f"registration {registration.status}"
    if registration.reminders_stopped_at is not None:
        return "reminders stopped"
    if registration.event.status != EventStatus.PUBLISHED:
        return "event cancelled"
    return None


# Overview (the ``flask reminders`` command) -----------------------------------------


@dataclass
class UpcomingRule:
    rule: ReminderRule
    event: Event
    recipients: int

    def describe(self) -> str:
        when = format_moment(self.rule.due_at, self.event.timezone)
        return f"{when} · {self.event.title} · {self.rule.anchor.label} · {self.recipients} destinataire(s)"


def upcoming_rules(now: datetime | None = None, hours: int = 48) -> list[UpcomingRule]:
    """Rules due in the next ``hours`` (or due and not handled yet), with how
    many people they concern today."""
    now = now or now_utc()
    rows = db.session.execute(
        sa.select(ReminderRule, Event)
        .join(Event, Event.id == ReminderRule.event_id)
        .where(
            ReminderRule.active.is_(True),
            ReminderRule.handled_generation < ReminderRule.generation,
            ReminderRule.due_at <= now + timedelta(hours=hours),
            Event.status == EventStatus.PUBLISHED,
        )
        .order_by(ReminderRule.due_at)
    ).all()
    # People who could get a reminder, per event and status, in one query.
    reachable = {
        (event_id, RegistrationStatus(status)): count
        for event_id, status, count in db.session.execute(
            sa.select(Registration.event_id, Registration.status, sa.func.count())
            .where(
                Registration.event_id.in_({event.id for _rule, event in rows}),
                Registration.reminders_stopped_at.is_(None),
                Registration.anonymised_at.is_(None),
            )
            .group_by(Registration.event_id, Registration.status)
        )
    }
    return [
        UpcomingRule(rule, event, reachable.get((event.id, rule.audience.registration_status), 0))
        for rule, event in rows
    ]


def delivery_counts(since: datetime) -> dict[DeliveryStatus, int]:
    """Reminder deliveries handled since ``since``, by status."""
    rows = db.session.execute(
        sa.select(ReminderDelivery.status, sa.func.count())
        .where(ReminderDelivery.created_at >= since)
        .group_by(ReminderDelivery.status)
    )
    return {DeliveryStatus(status): count for status, count in rows}
