"""Registration: a person's sign-up to an event, for one or more seats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.catalog.models import Event, EventQuestion, Session
from eventsapp.db import UTCDateTime, enum_column_type, now_utc
from eventsapp.enums import LabelledEnum
from eventsapp.extensions import db


class ParticipantCategory(LabelledEnum):
    GRAND_PUBLIC = "grand-public"
    SALARIE_ESS = "salarie-ess"
    BENEVOLE = "benevole"
    ELU = "elu"
    COLLECTIVITE = "collectivite"
    ENTREPRISE = "entreprise"
    ETUDIANT = "etudiant"
    PRESSE = "presse"
    AUTRE = "autre"

    @classmethod
    def _labels(cls):
        return {
            "grand-public": _l("Grand public"),
            "salarie-ess": _l("Salarié·e de l'ESS"),
            "benevole": _l("Bénévole"),
            "elu": _l("Élu·e"),
            "collectivite": _l("Collectivité"),
            "entreprise": _l("Entreprise"),
            "etudiant": _l("Étudiant·e / scolaire"),
            "presse": _l("Presse"),
            "autre": _l("Autre"),
        }


class RegistrationStatus(LabelledEnum):
    # PENDING holds seats until the e-mail link is followed (double opt-in).
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @classmethod
    def _labels(cls):
        return {
            "pending": _l("En attente de confirmation"),
            "confirmed": _l("Confirmée"),
            "waitlisted": _l("Liste d'attente"),
            "cancelled": _l("Annulée"),
            "expired": _l("Expirée"),
        }


# Statuses that hold seats, and those for which a second sign-up with the
# same e-mail is refused.
SEAT_HOLDING_STATUSES = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED)
ACTIVE_STATUSES = (*SEAT_HOLDING_STATUSES, RegistrationStatus.WAITLISTED)
_ACTIVE_SQL = "status IN ('pending', 'confirmed', 'waitlisted')"


registration_sessions = sa.Table(
    "registration_sessions",
    db.metadata,
    sa.Column("registration_id", sa.ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("session_id", sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_registration_sessions_session_id", "session_id"),
)


class Registration(db.Model):
    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    # Lower-cased by the registration service, so uniqueness is case-blind.
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    structure: Mapped[str] = mapped_column(sa.String(200), default="")
    category: Mapped[ParticipantCategory] = mapped_column(enum_column_type(ParticipantCategory))
    seats: Mapped[int] = mapped_column(default=1)
    status: Mapped[RegistrationStatus] = mapped_column(enum_column_type(RegistrationStatus))
    # Order on the waiting list; set while waitlisted.
    waitlist_position: Mapped[int | None] = mapped_column()
    # The private link's token is HMAC(SECRET_KEY, token_salt): it can be put
    # in every later e-mail, yet only its SHA-256 is stored (for lookups), and
    # a new salt revokes the old link. See registrations/tokens.py.
    token_salt: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While PENDING (double opt-in): when the held seats are released.
    pending_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Personal data erased (GDPR); the row still counts in figures.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The person followed "stop the reminders" (List-Unsubscribe): the
    # registration stands, only reminders stop.
    reminders_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    sessions: Mapped[list[Session]] = relationship(
        secondary=registration_sessions, order_by="Session.starts_at"
    )
    answers: Mapped[list[RegistrationAnswer]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("seats >= 1", name="seats_positive"),
        sa.Index("ix_registrations_event_id_status", "event_id", "status"),
        # The reports' sign-ups curve reads only these: an index-only scan
        # (bench/reports.py: 300 → 190 ms for a million registrations).
        sa.Index("ix_registrations_event_id_created_at_seats", "event_id", "created_at", "seats"),
        sa.Index("ix_registrations_email", "email"),
        # The expiry sweep looks for pending registrations past their time.
        sa.Index("ix_registrations_status_pending_expires_at", "status", "pending_expires_at"),
        # One active registration per e-mail and event.
        sa.Index(
            "uq_registrations_active_email",
            "event_id",
            "email",
            unique=True,
            postgresql_where=sa.text(_ACTIVE_SQL),
            sqlite_where=sa.text(_ACTIVE_SQL),
        ),
    )


class RegistrationAnswer(db.Model):
    """A registrant's answer to one of the event's questions."""

    __tablename__ = "registration_answers"

    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event_questions.id", ondelete="CASCADE"), primary_key=True
    )
    # A string, a boolean or a list of strings, by the question's kind.
    value: Mapped[Any] = mapped_column(sa.JSON)

    registration: Mapped[Registration] = relationship(back_populates="answers")
    question: Mapped[EventQuestion] = relationship()
