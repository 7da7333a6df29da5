"""The review trail of events submitted to a campaign that requires approval.

One row per step: the organiser submits (or withdraws) an event, the
campaign's coordinator approves it or returns it with a comment. The
organiser's event page shows the last comment of a return; the trail stays
as a record of who decided what and when (the event's own columns only say
where it stands now).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.accounts.models import User
from eventsapp.db import UTCDateTime, enum_column_type, now_utc
from eventsapp.enums import LabelledEnum
from eventsapp.extensions import db


class ReviewAction(LabelledEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    APPROVED = "approved"
    RETURNED = "returned"

    @classmethod
    def _labels(cls):
        return {
            "submitted": _l("Soumis à la coordination"),
            "withdrawn": _l("Demande retirée par l'organisateur"),
            "approved": _l("Validé et publié par la coordination"),
            "returned": _l("Renvoyé par la coordination"),
        }


class EventReview(db.Model):
    __tablename__ = "event_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    action: Mapped[ReviewAction] = mapped_column(enum_column_type(ReviewAction, length=16))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Who acted; kept when the account goes, as "someone".
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        # The event page reads an event's trail, newest first.
        sa.Index("ix_event_reviews_event_id_created_at", "event_id", "created_at"),
    )
