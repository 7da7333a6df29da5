"""Publication of an organiser's event and its review by a campaign's
coordinator (the lifecycle drawn in ``events_service``).

Every function checks its actor, flushes, never commits, and raises
``EventRefused`` (French message, field) or ``NotFound``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from eventsapp.accounts.models import Membership
from eventsapp.admin.events_models import EventReview, ReviewAction
from eventsapp.admin.events_service import Action, EventRefused, check_coordinator, check_organiser, require
from eventsapp.catalog import service as catalog
from eventsapp.catalog.models import Campaign, Event
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.locking import lock_event, prepare_write
from eventsapp.registrations.models import ACTIVE_STATUSES, Registration

# Lifecycle -------------------------------------------------------------------


def _check_publishable(event: Event) -> None:
    if not (event.commune or event.online_url):
        raise EventRefused(
            _("Indiquez un lieu (au moins la commune) ou une adresse en ligne avant de publier.")
        )


def _review(event: Event, action: ReviewAction, actor: Membership, comment: str = "") -> EventReview:
    review = EventReview(
        event_id=event.id,
        campaign_id=event.campaign_id,
        action=action,
        comment=comment,
        actor_id=actor.user_id,
    )
    db.session.add(review)
    return review


def _publish(event: Event) -> None:
    event.status = EventStatus.PUBLISHED
    event.published_at = now_utc()


def publish_event(event: Event, actor: Membership) -> Event:
    """Publish a draft whose campaign (if any) needs no approval."""
    check_organiser(event, actor)
    prepare_write()
    if event.status == EventStatus.DRAFT and event.campaign is not None and event.campaign.requires_approval:
        raise EventRefused(
            _(
                "« %(name)s » demande une validation : soumettez l'événement à la coordination.",
                name=event.campaign.name,
            )
        )
    require(event, Action.PUBLISH, _("Seul un brouillon à venir peut être publié."))
    _check_publishable(event)
    _publish(event)
    db.session.flush()
    return event


def submit_event(event: Event, actor: Membership) -> Event:
    """Send a draft to its campaign's coordination for approval."""
    check_organiser(event, actor)
    prepare_write()
    require(
        event, Action.SUBMIT, _("Seul le brouillon à venir d'une campagne avec validation peut être soumis.")
    )
    _check_publishable(event)
    event.status = EventStatus.SUBMITTED
    _review(event, ReviewAction.SUBMITTED, actor)
    db.session.flush()
    return event


def withdraw_event(event: Event, actor: Membership) -> Event:
    """The organiser takes a submitted event back (to change it)."""
    check_organiser(event, actor)
    prepare_write()
    require(event, Action.WITHDRAW, _("Cet événement n'est pas soumis à la coordination."))
    event.status = EventStatus.DRAFT
    _review(event, ReviewAction.WITHDRAWN, actor)
    db.session.flush()
    return event


def active_registration_count(event_id: int) -> int:
    """People registered (holding seats or waiting)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id, Registration.status.in_(ACTIVE_STATUSES))
    )


def unpublish_event(event: Event, actor: Membership) -> Event:
    """Back to draft, only while nobody is registered (counted under the
    event's lock: a sign-up cannot slip in between)."""
    check_organiser(event, actor)
    event = lock_event(event.id)
    require(event, Action.UNPUBLISH, _("Seul un événement publié peut être dépublié."))
    if active_registration_count(event.id):
        raise EventRefused(
            _(
                "Des personnes sont inscrites : l'événement ne peut plus être dépublié. "
                "Annulez-le plutôt, elles seront prévenues."
            )
        )
    event.status = EventStatus.DRAFT
    event.published_at = None
    db.session.flush()
    return event


def cancel_event(event: Event, actor: Membership, reason: str) -> Event:
    """Cancel a published event; registrants get the notice with ``reason``."""
    check_organiser(event, actor)
    prepare_write()
    # Under the event's lock: a concurrent change neither raises the
    # SEQUENCE (the notices' key) to the same value nor slips in between.
    lock_event(event.id)
    require(event, Action.CANCEL, _("Seul un événement publié peut être annulé."))
    if not reason.strip():
        raise EventRefused(
            _("Indiquez la raison de l'annulation : elle est envoyée aux inscrit·es."), "reason"
        )
    catalog.cancel_event(event, reason)
    return event


# Coordination ---------------------------------------------------------------


def submitted_events(campaign: Campaign, actor: Membership) -> list[Event]:
    """Events waiting for the coordinator's decision, soonest first."""
    check_coordinator(campaign, actor)
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.campaign_id == campaign.id, Event.status == EventStatus.SUBMITTED)
            .order_by(Event.starts_at, Event.id)
        )
    )


def _submitted_event(campaign: Campaign, event_id: int | None) -> Event:
    """The campaign's event waiting for a decision. One never submitted to
    the campaign is a 404 (a coordinator never sees other organisations'
    drafts); one submitted then withdrawn or already decided is refused."""
    event = db.session.get(Event, event_id) if event_id else None
    if event is None or event.campaign_id != campaign.id:
        raise NotFound(str(event_id))
    if event.status != EventStatus.SUBMITTED:
        submitted_once = db.session.scalar(
            sa.select(EventReview.id)
            .where(EventReview.event_id == event.id, EventReview.campaign_id == campaign.id)
            .limit(1)
        )
        if submitted_once is None:
            raise NotFound(str(event_id))
        raise EventRefused(_("Cet événement n'attend plus de validation (il a été retiré ou déjà traité)."))
    return event


def approve_event(campaign: Campaign, event_id: int | None, actor: Membership) -> Event:
    """The coordinator approves a submitted event: it is published."""
    check_coordinator(campaign, actor)
    prepare_write()
    event = _submitted_event(campaign, event_id)
    _publish(event)
    _review(event, ReviewAction.APPROVED, actor)
    db.session.flush()
    return event


def return_event(campaign: Campaign, event_id: int | None, actor: Membership, comment: str) -> Event:
    """The coordinator returns a submitted event with a comment: back to
    draft, the comment shown to the organiser."""
    check_coordinator(campaign, actor)
    prepare_write()
    event = _submitted_event(campaign, event_id)
    if not comment.strip():
        raise EventRefused(_("Expliquez à l'organisateur ce qu'il faut changer."), "comment")
    event.status = EventStatus.DRAFT
    _review(event, ReviewAction.RETURNED, actor, comment.strip())
    db.session.flush()
    return event


def reviews_of(event_id: int) -> list[EventReview]:
    """The review trail of an event, newest first."""
    return list(
        db.session.scalars(
            sa.select(EventReview)
            .where(EventReview.event_id == event_id)
            .order_by(EventReview.created_at.desc(), EventReview.id.desc())
        )
    )


def last_return(event: Event) -> EventReview | None:
    """The coordinator's comment to show on a draft they returned (none
    once it was submitted again)."""
    if event.status != EventStatus.DRAFT:
        return None
    for review in reviews_of(event.id):
        if review.action == ReviewAction.RETURNED:
            return review
        if review.action in (ReviewAction.SUBMITTED, ReviewAction.APPROVED):
            return None
    return None
