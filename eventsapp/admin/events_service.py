"""The rules of the organisers' events: who may do what, in which state.

Lifecycle of an event (``EventStatus``)::

    draft ──publish──────────────────────────▶ published ──cancel──▶ cancelled
      │  ◀──unpublish (nobody registered)──────┘   ▲
      └──submit──▶ submitted ──approve (coordinator)┘
                   │  ◀──return with a comment (coordinator), or withdraw

- an organisation's owners and editors (``Permission.EVENTS``) create, edit,
  duplicate, submit, withdraw, publish, unpublish and cancel *its* events;
- an event of a campaign that requires approval is submitted, never
  published directly; the coordinating organisation's owners and editors
  (``is_coordinator_of``) approve it (published) or return it with a comment
  (back to draft, the comment shown to the organiser);
- unpublishing is refused once someone is registered (counted under the
  event's lock, so no sign-up slips in between): cancel it instead;
- cancelling goes through ``catalog.service.cancel_event`` (notices), time
  and place changes through ``catalog.service.update_event`` (reminders
  move, registrants are told), capacity through
  ``registrations.service.change_capacity`` (the waiting list is promoted).

Every function checks its actor itself (a ``Membership``), so a view that
forgot a check still cannot act for another organisation. Functions flush,
never commit, and raise ``EventRefused`` with a French message (and the
form field it is about, if any).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from eventsapp.accounts.models import Membership
from eventsapp.accounts.permissions import Permission, is_coordinator_of, role_allows
from eventsapp.catalog import service as catalog
from eventsapp.catalog.models import Campaign, Event, EventQuestion, Session, Theme
from eventsapp.catalog.vocabulary import Audience, EventKind, EventStatus
from eventsapp.db import now_utc
from eventsapp.errors import DomainError, NotFound
from eventsapp.extensions import db
from eventsapp.locking import lock_event, prepare_write
from eventsapp.organisations.models import Organisation
from eventsapp.registrations import service as registrations
from eventsapp.reminders.models import ReminderRule
from eventsapp.reminders.service import compute_due_at


class EventRefused(DomainError):
    """An action the rules refuse; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Action(enum.StrEnum):
    """What an organiser may do to one of their events."""

    EDIT = "edit"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    CANCEL = "cancel"
    DUPLICATE = "duplicate"


@dataclass
class EventDetails:
    """Every field an organiser sets on an event (times are aware datetimes;
    ``capacity`` None is unlimited; the registration window may be open)."""

    title: str
    kind: EventKind
    starts_at: datetime
    ends_at: datetime
    timezone: str = "Europe/Paris"
    summary: str = ""
    description: str = ""
    audiences: list[Audience] = field(default_factory=list)
    theme_ids: list[int] = field(default_factory=list)
    campaign_id: int | None = None
    venue_name: str = ""
    venue_address: str = ""
    venue_postcode: str = ""
    commune: str = ""
    department: str = ""
    online_url: str | None = None
    accessibility_info: str = ""
    is_free: bool = True
    price_info: str = ""
    registration_required: bool = True
    capacity: int | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    waitlist_enabled: bool = False
    waitlist_cutoff_minutes: int = 120
    requires_email_confirmation: bool = False
    pending_expiry_minutes: int = 24 * 60
    max_seats_per_registration: int = 1
    contact_name: str = ""
    contact_email: str | None = None
    contact_phone: str | None = None

    # Not columns of the event: set through relationships or services.
    _NOT_COLUMNS = ("audiences", "theme_ids", "capacity")

    def columns(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in self._NOT_COLUMNS}

    @classmethod
    def of(cls, event: Event) -> EventDetails:
        """The details an event has now (to fill the edit form)."""
        values = {f.name: getattr(event, f.name) for f in fields(cls) if f.name not in cls._NOT_COLUMNS}
        return cls(
            **values,
            audiences=list(event.audiences),
            theme_ids=[theme.id for theme in event.themes],
            capacity=event.capacity,
        )


# Who may act --------------------------------------------------------------


def check_organiser(event: Event, actor: Membership | None) -> None:
    # Same answer as for an event that does not exist: nothing is revealed.
    if (
        actor is None
        or event.organisation_id != actor.organisation_id
        or not role_allows(actor.role, Permission.EVENTS)
    ):
        raise NotFound(str(event.id))


def check_coordinator(campaign: Campaign, actor: Membership | None) -> None:
    if not is_coordinator_of(campaign, actor):
        raise NotFound(str(campaign.id))


def allowed_actions(event: Event, now: datetime | None = None) -> set[Action]:
    """What an organiser may do to ``event`` in its current state (buttons
    shown; each action checks again when it is done)."""
    now = now or now_utc()
    actions = {Action.DUPLICATE}
    status = event.status
    needs_approval = event.campaign is not None and event.campaign.requires_approval
    if status != EventStatus.CANCELLED:
        actions.add(Action.EDIT)
    if status == EventStatus.DRAFT and event.ends_at > now:
        actions.add(Action.SUBMIT if needs_approval else Action.PUBLISH)
    if status == EventStatus.SUBMITTED:
        actions.add(Action.WITHDRAW)
    if status == EventStatus.PUBLISHED:
        actions.update({Action.UNPUBLISH, Action.CANCEL})
    return actions


def require(event: Event, action: Action, message: str) -> None:
    if action not in allowed_actions(event):
        raise EventRefused(message)


# Creating and editing ------------------------------------------------------


def _check_details(details: EventDetails, event: Event | None) -> None:
    """Rules across fields that a form cannot see alone."""
    if details.ends_at <= details.starts_at:
        raise EventRefused(_("La fin doit être après le début."), "ends_at")
    opens, closes = details.registration_opens_at, details.registration_closes_at
    if opens and closes and closes <= opens:
        raise EventRefused(
            _("La clôture des inscriptions doit suivre leur ouverture."), "registration_closes_at"
        )
    if closes and closes > details.ends_at:
        raise EventRefused(
            _("Les inscriptions doivent fermer avant la fin de l'événement."), "registration_closes_at"
        )
    if opens and opens >= details.ends_at:
        raise EventRefused(
            _("Les inscriptions doivent ouvrir avant la fin de l'événement."), "registration_opens_at"
        )
    if details.campaign_id is not None:
        campaign = db.session.get(Campaign, details.campaign_id)
        if campaign is None:
            raise EventRefused(_("Choisissez une campagne dans la liste."), "campaign_id")
        zone = details.starts_at.tzinfo
        first_day = details.starts_at.astimezone(zone).date()
        if not campaign.starts_on <= first_day <= campaign.ends_on:
            raise EventRefused(
                _(
                    "« %(name)s » a lieu du %(start)s au %(end)s : choisissez une date dans cette "
                    "période, ou une autre campagne.",
                    name=campaign.name,
                    start=campaign.starts_on.strftime("%d/%m/%Y"),
                    end=campaign.ends_on.strftime("%d/%m/%Y"),
                ),
                "campaign_id",
            )
    if event is not None and event.status != EventStatus.DRAFT and details.campaign_id != event.campaign_id:
        raise EventRefused(
            _("La campagne ne se change que sur un brouillon : dépubliez l'événement d'abord."),
            "campaign_id",
        )


def _themes(theme_ids: list[int]) -> list[Theme]:
    if not theme_ids:
        return []
    themes = list(db.session.scalars(sa.select(Theme).where(Theme.id.in_(theme_ids)).order_by(Theme.name)))
    if len(themes) != len(set(theme_ids)):
        raise EventRefused(_("Choisissez des thèmes dans la liste."), "theme_ids")
    return themes


def create_event(actor: Membership, details: EventDetails) -> Event:
    """A new draft of the actor's organisation, with the default reminders."""
    if actor is None or not role_allows(actor.role, Permission.EVENTS):
        raise NotFound("organisation")
    prepare_write()
    _check_details(details, None)
    themes = _themes(details.theme_ids)
    organisation = db.session.get(Organisation, actor.organisation_id)
    event = catalog.create_event(
        organisation,
        status=EventStatus.DRAFT,
        audiences=list(details.audiences),
        capacity=details.capacity,
        **details.columns(),
    )
    event.themes = themes
    db.session.flush()
    return event


def moves_registrants(event: Event, details: EventDetails) -> bool:
    """Would saving ``details`` tell the registrants the event moved?"""
    moved = any(
        getattr(event, name) != getattr(details, name)
        for name in (*catalog.TIME_FIELDS, *catalog.PLACE_FIELDS)
    )
    return moved and event.status == EventStatus.PUBLISHED


def update_event(
    event: Event, actor: Membership, details: EventDetails, *, shift_sessions: bool = False
) -> catalog.EventChanges:
    """Save ``details``: the time and place through ``catalog.update_event``
    (reminders move, registrants of a published event get one notice), the
    capacity through ``change_capacity`` (the waiting list moves up).
    ``shift_sessions`` moves the sessions by as much as the start moved."""
    check_organiser(event, actor)
    prepare_write()
    # Under the event's lock: two organisers saving at once neither read the
    # same "before" nor raise the SEQUENCE (the notices' key) to one value.
    lock_event(event.id)
    require(event, Action.EDIT, _("Un événement annulé ne se modifie plus."))
    _check_details(details, event)
    themes = _themes(details.theme_ids)
    shift = details.starts_at - event.starts_at
    changes = catalog.update_event(event, **details.columns())
    if shift_sessions and shift:
        for session in event.sessions:
            session.starts_at += shift
            session.ends_at += shift
    outside = [s.title for s in event.sessions if s.starts_at < event.starts_at or s.ends_at > event.ends_at]
    if outside:
        raise EventRefused(
            _(
                "Ces ateliers ne tombent plus pendant l'événement : %(titles)s. Cochez « décaler les "
                "ateliers », ou modifiez-les d'abord.",
                titles=", ".join(outside),
            ),
            "starts_at",
        )
    if list(event.audiences) != list(details.audiences):
        event.audience_links.clear()
        db.session.flush()  # the old rows go before the same keys come back
        event.audiences.extend(details.audiences)
    if [t.id for t in event.themes] != [t.id for t in themes]:
        event.themes = themes
    db.session.flush()
    if event.capacity != details.capacity:
        try:
            registrations.change_capacity(event.id, details.capacity)
        except registrations.InvalidRegistration as error:
            raise EventRefused(error.message, "capacity") from None
    return changes


def duplicate_event(
    event: Event, actor: Membership, *, title: str, starts_at: datetime, campaign_id: int | None
) -> Event:
    """A draft copy of ``event`` starting at ``starts_at`` (same length):
    its details, sessions, questions and reminder rules, moved by as much
    as the start; never its registrations, reviews or status."""
    check_organiser(event, actor)
    prepare_write()
    shift = starts_at - event.starts_at
    details = EventDetails.of(event)
    details.title = title
    details.starts_at, details.ends_at = starts_at, event.ends_at + shift
    details.campaign_id = campaign_id
    for name in ("registration_opens_at", "registration_closes_at"):
        if getattr(details, name) is not None:
            setattr(details, name, getattr(details, name) + shift)
    _check_details(details, None)
    organisation = db.session.get(Organisation, event.organisation_id)
    copy = catalog.create_event(
        organisation,
        with_default_reminders=False,
        status=EventStatus.DRAFT,
        audiences=list(details.audiences),
        capacity=details.capacity,
        **details.columns(),
    )
    copy.themes = list(event.themes)
    for session in event.sessions:
        copy.sessions.append(
            Session(
                title=session.title,
                description=session.description,
                location=session.location,
                starts_at=session.starts_at + shift,
                ends_at=session.ends_at + shift,
                capacity=session.capacity,
            )
        )
    for question in event.questions:
        copy.questions.append(
            EventQuestion(
                label=question.label,
                help_text=question.help_text,
                kind=question.kind,
                choices=list(question.choices or []),
                required=question.required,
                position=question.position,
            )
        )
    db.session.flush()
    rules = db.session.scalars(
        sa.select(ReminderRule).where(ReminderRule.event_id == event.id).order_by(ReminderRule.id)
    )
    for rule in rules:
        db.session.add(
            ReminderRule(
                event_id=copy.id,
                anchor=rule.anchor,
                offset_minutes=rule.offset_minutes,
                local_time=rule.local_time,
                audience=rule.audience,
                subject=rule.subject,
                body=rule.body,
                survey_url=rule.survey_url,
                active=rule.active,
                due_at=compute_due_at(copy, rule.anchor, rule.offset_minutes, rule.local_time),
            )
        )
    db.session.flush()
    return copy
