"""Campaigns, events, sessions, themes, audiences and the events' own questions."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.catalog.vocabulary import Audience, EventKind, EventStatus, QuestionKind
from eventsapp.db import UTCDateTime, enum_column_type, now_utc
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation
from eventsapp.text import fold


class Campaign(db.Model):
    """A "temps fort" grouping the events of many organisations."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(220), unique=True)
    # The same series across years ("mois-ess"), to compare editions.
    series: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    coordinator_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    requires_approval: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    coordinator: Mapped[Organisation] = relationship()

    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),)


event_themes = sa.Table(
    "event_themes",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("theme_id", sa.ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_event_themes_theme_id", "theme_id"),
)


class Theme(db.Model):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))


class EventAudience(db.Model):
    __tablename__ = "event_audiences"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    audience: Mapped[Audience] = mapped_column(enum_column_type(Audience), primary_key=True)

    __table_args__ = (sa.Index("ix_event_audiences_audience", "audience", "event_id"),)


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(220), unique=True)
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[EventKind] = mapped_column(enum_column_type(EventKind))
    status: Mapped[EventStatus] = mapped_column(enum_column_type(EventStatus), default=EventStatus.DRAFT)

    # Venue. ``department`` is the INSEE code ("72", "2A", "974").
    venue_name: Mapped[str] = mapped_column(sa.String(200), default="")
    venue_address: Mapped[str] = mapped_column(sa.String(300), default="")
    venue_postcode: Mapped[str] = mapped_column(sa.String(10), default="")
    commune: Mapped[str] = mapped_column(sa.String(120), default="")
    department: Mapped[str] = mapped_column(sa.String(3), default="")
    # Folded copies (eventsapp.text.fold) kept by the mapper hooks below, so
    # that filters and search ignore accents and case on every database.
    commune_key: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    online_url: Mapped[str | None] = mapped_column(sa.String(500))

    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Paris")

    # Registration settings. capacity None means unlimited.
    capacity: Mapped[int | None] = mapped_column()
    registration_required: Mapped[bool] = mapped_column(default=True)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlist_enabled: Mapped[bool] = mapped_column(default=False)
    max_seats_per_registration: Mapped[int] = mapped_column(default=1)
    requires_email_confirmation: Mapped[bool] = mapped_column(default=False)
    # How long a pending (double opt-in) registration holds its seats.
    pending_expiry_minutes: Mapped[int] = mapped_column(default=24 * 60, server_default="1440")
    # No promotion from the waiting list later than this before the start.
    waitlist_cutoff_minutes: Mapped[int] = mapped_column(default=120)

    accessibility_info: Mapped[str] = mapped_column(sa.Text, default="")
    is_free: Mapped[bool] = mapped_column(default=True)
    price_info: Mapped[str] = mapped_column(sa.String(300), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(40))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancellation_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # iCalendar SEQUENCE: raised by catalog.service when the time, the place
    # or the status changes, so calendar clients replace their copy.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    organisation: Mapped[Organisation] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    sessions: Mapped[list[Session]] = relationship(
        back_populates="event",
        order_by="(Session.starts_at, Session.id)",
        cascade="all, delete-orphan",
    )
    audience_links: Mapped[list[EventAudience]] = relationship(
        cascade="all, delete-orphan", order_by="EventAudience.audience"
    )
    audiences: AssociationProxy[list[Audience]] = association_proxy(
        "audience_links", "audience", creator=lambda audience: EventAudience(audience=audience)
    )
    themes: Mapped[list[Theme]] = relationship(secondary=event_themes, order_by="Theme.name")
    questions: Mapped[list[EventQuestion]] = relationship(
        back_populates="event",
        order_by="(EventQuestion.position, EventQuestion.id)",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("max_seats_per_registration >= 1", name="max_seats_positive"),
        # The agenda lists published events by date, optionally narrowed.
        sa.Index("ix_events_status_starts_at", "status", "starts_at"),
        sa.Index("ix_events_campaign_status_starts_at", "campaign_id", "status", "starts_at"),
        sa.Index("ix_events_department_starts_at", "department", "starts_at"),
        sa.Index("ix_events_kind_starts_at", "kind", "starts_at"),
        sa.Index("ix_events_commune_key", "commune_key"),
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def is_public(self) -> bool:
        return self.status in (EventStatus.PUBLISHED, EventStatus.CANCELLED)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


def _searchable_text(event: Event) -> str:
    parts = (event.title, event.summary, event.description, event.venue_name, event.commune)
    return fold(" ".join(part or "" for part in parts))


@sa.event.listens_for(Event, "before_insert")
@sa.event.listens_for(Event, "before_update")
def _refresh_folded_columns(_mapper: object, _connection: object, event: Event) -> None:
    event.commune_key = fold(event.commune)
    event.search_text = _searchable_text(event)


class Session(db.Model):
    """An "atelier" or "créneau": part of an event with its own time and capacity."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    location: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None] = mapped_column()

    event: Mapped[Event] = relationship(back_populates="sessions")

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )


class EventQuestion(db.Model):
    """A question an organiser adds to the event's sign-up form."""

    __tablename__ = "event_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(300))
    help_text: Mapped[str] = mapped_column(sa.String(300), default="")
    kind: Mapped[QuestionKind] = mapped_column(enum_column_type(QuestionKind))
    choices: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="questions")
