"""The outbox: e-mails and tasks recorded in the transaction that causes them.

A row is written (and flushed) by ``notifications.service`` in the same
transaction as the change it announces, and handed to Celery only once that
transaction has committed (``notifications.dispatch``). Its life:

    pending ──claim──▶ dispatched ──▶ sent      (e-mails)
                           │
                           └────────▶ failed    (permanent refusal, data erased, too many tries)

Tasks stop at ``dispatched``: what they do is their own (idempotent) business.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.db import UTCDateTime, enum_column_type, now_utc
from eventsapp.enums import LabelledEnum
from eventsapp.extensions import db

if TYPE_CHECKING:
    from eventsapp.registrations.models import Registration


class OutboxKind(LabelledEnum):
    EMAIL = "email"
    TASK = "task"

    @classmethod
    def _labels(cls):
        return {"email": _l("E-mail"), "task": _l("Tâche")}


class OutboxStatus(LabelledEnum):
    PENDING = "pending"
    DISPATCHED = "dispatched"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # no longer to be sent (a reminder about a cancelled registration)

    @classmethod
    def _labels(cls):
        return {
            "pending": _l("En attente"),
            "dispatched": _l("Transmis"),
            "sent": _l("Envoyé"),
            "failed": _l("Échec"),
            "cancelled": _l("Sans objet"),
        }


class EmailKind(LabelledEnum):
    """The e-mails sent to a registrant; the value names the templates."""

    CONFIRMATION = "confirmation"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    PENDING_CONFIRMATION = "pending-confirmation"
    CANCELLED = "cancelled"
    ALREADY_REGISTERED = "already-registered"
    REMINDER = "reminder"
    EVENT_CHANGED = "event-changed"
    EVENT_CANCELLED = "event-cancelled"
    # Written by an organiser to (part of) an event's registrants; the
    # payload names the stored message (``admin.messages_models``).
    ORGANISER_MESSAGE = "organiser-message"

    @classmethod
    def _labels(cls):
        return {
            "confirmation": _l("Confirmation d'inscription"),
            "waitlisted": _l("Inscription sur liste d'attente"),
            "promoted": _l("Place obtenue depuis la liste d'attente"),
            "pending-confirmation": _l("Demande de confirmation"),
            "cancelled": _l("Annulation"),
            "already-registered": _l("Déjà inscrit·e"),
            "reminder": _l("Rappel"),
            "event-changed": _l("Changement d'horaire ou de lieu"),
            "event-cancelled": _l("Annulation de l'événement"),
            "organiser-message": _l("Message de l'organisateur"),
        }


class OutboxMessage(db.Model):
    """One e-mail to send or one Celery task to start, after the commit."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(enum_column_type(OutboxKind, length=16))
    # E-mails: what to send, about which registration, to whom. The address
    # is a copy (erased with the registration's personal data); the row of an
    # erased or deleted registration is never sent.
    email_kind: Mapped[EmailKind | None] = mapped_column(enum_column_type(EmailKind))
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str | None] = mapped_column(sa.String(254))
    # Tasks: a registered Celery task name and its keyword arguments.
    task_name: Mapped[str | None] = mapped_column(sa.String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # "email:<kind>:<registration id>", "task:<name>:<key>"… A task's key is
    # given back (suffixed with "#<id>") once the task is dispatched.
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column_type(OutboxStatus, length=16), default=OutboxStatus.PENDING
    )
    # Delivery attempts of an e-mail (each SMTP try counts).
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'email' AND email_kind IS NOT NULL) OR (kind = 'task' AND task_name IS NOT NULL)",
            name="kind_fields",
        ),
        # The relay looks for rows still pending, and for e-mails handed over
        # but not sent, oldest first.
        sa.Index("ix_outbox_messages_status_created_at", "status", "created_at"),
        sa.Index("ix_outbox_messages_status_dispatched_at", "status", "dispatched_at"),
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.idempotency_key} {self.status}>"
