"""Organiser accounts and memberships with a role per organisation.

The login itself comes with the back-office; the tables come with the domain
model so that every other table can refer to who did what.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.db import UTCDateTime, enum_column_type, now_utc
from eventsapp.enums import LabelledEnum
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation


class Role(LabelledEnum):
    OWNER = "owner"
    EDITOR = "editor"
    CHECKIN = "checkin"

    @classmethod
    def _labels(cls):
        return {
            "owner": _l("Responsable"),
            "editor": _l("Éditeur·rice"),
            "checkin": _l("Accueil / émargement"),
        }


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased by the service that creates accounts.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped when the password changes, to log out every other session.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column_type(Role))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()
