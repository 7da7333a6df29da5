"""Check-ins of registrations and counts of walk-ins (venus sans inscription)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.accounts.models import User
from eventsapp.db import UTCDateTime, enum_column_type, now_utc
from eventsapp.extensions import db
from eventsapp.registrations.models import ParticipantCategory, Registration


class CheckIn(db.Model):
    """A registration marked present, at the event or at one of its sessions."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Denormalised from the registration: every report groups by event.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    # People actually present for this registration (a class may come short).
    seats: Mapped[int] = mapped_column(default=1)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    registration: Mapped[Registration] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("seats >= 1", name="seats_positive"),
        # Two staff checking the same person at once give one row, not two.
        sa.Index(
            "uq_checkins_registration_event",
            "registration_id",
            unique=True,
            postgresql_where=sa.text("session_id IS NULL"),
            sqlite_where=sa.text("session_id IS NULL"),
        ),
        sa.Index(
            "uq_checkins_registration_session",
            "registration_id",
            "session_id",
            unique=True,
            postgresql_where=sa.text("session_id IS NOT NULL"),
            sqlite_where=sa.text("session_id IS NOT NULL"),
        ),
    )


class WalkIn(db.Model):
    """People who came without registering: one row per + or − tap, so the
    count per category is a sum and every change is attributed."""

    __tablename__ = "walk_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    category: Mapped[ParticipantCategory] = mapped_column(enum_column_type(ParticipantCategory))
    count: Mapped[int] = mapped_column()
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.CheckConstraint("count <> 0", name="count_not_zero"),)
