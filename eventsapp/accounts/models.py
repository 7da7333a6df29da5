"""Organiser accounts and memberships with a role per organisation.

``User`` speaks Flask-Login's protocol itself (rather than inheriting
``UserMixin``, whose ``is_active`` would hide the column): its session id is
``"<id>:<session_version>"``, so bumping ``session_version`` (a password
change or reset) ends every session and "remember me" cookie issued before.
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

    # Flask-Login's user protocol ------------------------------------------

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The id kept in the session and the remember cookie: it stops
        matching once ``session_version`` is bumped (see accounts.login)."""
        return f"{self.id}:{self.session_version}"

    @property
    def has_password(self) -> bool:
        """False until the invitation link was followed."""
        return bool(self.password_hash)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


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
