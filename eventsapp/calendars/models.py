"""Personal calendar feeds: one revocable private token per e-mail address.

A person's feed (``/me/<token>.ics``) lists their registrations across
events, found by e-mail address. Like the registrations' private links
(``registrations/tokens.py``), the token is an HMAC of a random salt with
``SECRET_KEY``: only its SHA-256 is stored and looked up, yet it can be
derived again for later e-mails; a new salt revokes the old link.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.db import UTCDateTime, now_utc
from eventsapp.extensions import db


class CalendarFeed(db.Model):
    """The personal feed of the person with this (lower-cased) e-mail address."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    token_salt: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # When the current token replaced a revoked one (None: never renewed).
    renewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<CalendarFeed {self.id}>"
