"""Reminder rules and the record of each (rule, registration) reminder.

A rule belongs to an event: "7 days before the start, at 9:00" or "1 day
after the end" (a thank-you). Its ``due_at`` is computed from the event and
stored, so beat finds what is due with one indexed query, and moving the
event recomputes one row per rule, not one per registrant. When a rule comes
due, the scan writes one ``ReminderDelivery`` per person it concerns (who
signed up before the due time and is in the rule's audience then), then an
outbox e-mail for each.
"""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.catalog.models import Event
from eventsapp.db import UTCDateTime, enum_column_type, now_utc
from eventsapp.enums import LabelledEnum
from eventsapp.extensions import db
from eventsapp.registrations.models import RegistrationStatus


class ReminderAnchor(LabelledEnum):
    """What the offset counts from."""

    BEFORE_START = "before-start"
    AFTER_END = "after-end"

    @classmethod
    def _labels(cls):
        return {"before-start": _l("Avant le début"), "after-end": _l("Après la fin")}


class ReminderAudience(LabelledEnum):
    """Who gets it: the people holding a seat, or those on the waiting list."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"

    @property
    def registration_status(self) -> RegistrationStatus:
        """The status a registration has when this audience concerns it."""
        return {
            ReminderAudience.CONFIRMED: RegistrationStatus.CONFIRMED,
            ReminderAudience.WAITLISTED: RegistrationStatus.WAITLISTED,
        }[self]

    @classmethod
    def _labels(cls):
        return {"confirmed": _l("Inscrits confirmés"), "waitlisted": _l("Liste d'attente")}


class DeliveryStatus(LabelledEnum):
    DUE = "due"  # to be written to the outbox by the next scan
    QUEUED = "queued"  # its e-mail is in the outbox
    MISSED = "missed"  # found too late: not sent
    SKIPPED = "skipped"  # no longer concerned (cancelled, event moved or cancelled…)

    @classmethod
    def _labels(cls):
        return {
            "due": _l("À envoyer"),
            "queued": _l("Envoyé à la messagerie"),
            "missed": _l("Manqué (trop tard)"),
            "skipped": _l("Sans objet"),
        }


class ReminderRule(db.Model):
    __tablename__ = "reminder_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    anchor: Mapped[ReminderAnchor] = mapped_column(enum_column_type(ReminderAnchor, length=16))
    # Minutes before the start (or after the end). With ``local_time`` set,
    # only whole days count and the reminder leaves at that time of day in
    # the event's time zone ("J-7 à 9 h").
    offset_minutes: Mapped[int] = mapped_column(default=0)
    local_time: Mapped[time | None] = mapped_column(sa.Time)
    audience: Mapped[ReminderAudience] = mapped_column(
        enum_column_type(ReminderAudience, length=16), default=ReminderAudience.CONFIRMED
    )
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    survey_url: Mapped[str | None] = mapped_column(sa.String(500))
    active: Mapped[bool] = mapped_column(default=True)
    # Computed from the event by ``reminders.service``; never set by hand.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Raised when the due time moves after the rule was handled, so that it
    # is handled again at the new time (and deliveries of the old one are void).
    generation: Mapped[int] = mapped_column(default=1)
    handled_generation: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    event: Mapped[Event] = relationship()

    __table_args__ = (
        sa.CheckConstraint("offset_minutes >= 0", name="offset_not_negative"),
        # The scan: active rules due and not handled yet, by due time.
        sa.Index("ix_reminder_rules_active_due_at", "active", "due_at"),
    )

    @property
    def is_handled(self) -> bool:
        return self.handled_generation >= self.generation

    def __repr__(self) -> str:
        return f"<ReminderRule {self.id} event={self.event_id} {self.anchor} {self.offset_minutes}min>"


class ReminderDelivery(db.Model):
    """One person's reminder of one rule (at one generation of its due time)."""

    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("reminder_rules.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    generation: Mapped[int] = mapped_column()
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column_type(DeliveryStatus, length=16), default=DeliveryStatus.DUE
    )
    outbox_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rule: Mapped[ReminderRule] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("rule_id", "registration_id", "generation"),
        # The scan takes the due ones, oldest first.
        sa.Index("ix_reminder_deliveries_status_due_at", "status", "due_at"),
    )
