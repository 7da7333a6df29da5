"""Messages organisers write to the registrants of an event.

One ``OrganiserMessage`` row per message sent: what was written, by whom,
to which part of the registrants (described in French, and the filter
itself), and how many addresses it went to. Each recipient's e-mail is an
outbox row (``EmailKind.ORGANISER_MESSAGE``) whose payload names the
message (``{"message_id": …}``); the delivery state of a message is read
from those rows, never copied here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.accounts.models import User
from eventsapp.catalog.models import Event
from eventsapp.db import UTCDateTime, now_utc
from eventsapp.extensions import db


class OrganiserMessage(db.Model):
    __tablename__ = "organiser_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # Kept when the author leaves the organisation or deletes the account.
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    # Who it was for, in French ("Liste d'attente · non pointé·es"), and the
    # filter's query arguments (to open the same selection again).
    audience: Mapped[str] = mapped_column(sa.String(500), default="")
    filters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    recipients_count: Mapped[int] = mapped_column(default=0)
    # One per confirmation form shown: a second click on "Envoyer" (or the
    # browser posting again) finds the message already sent.
    send_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    event: Mapped[Event] = relationship()
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OrganiserMessage {self.id} event={self.event_id}>"
