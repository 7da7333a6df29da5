"""Publication of an organiser's event (issue 6, points 2 and 3): publish,
submit to a campaign, approval or return by the coordinator, withdraw,
unpublish (never with registrants), cancel (with the notice); per status and
role, and never for another organisation, in the views and in the services."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventsapp.admin import events_lifecycle as lifecycle
from eventsapp.admin import events_service
from eventsapp.admin.event_parts_service import SessionDetails, add_session
from eventsapp.admin.events_models import EventReview, ReviewAction
from eventsapp.catalog.models import Campaign, Event
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.models import RegistrationStatus
from tests.accounts_support import client_for, field_error, text
from tests.admin_events_support import make_club, outbox_emails
from tests.factories import EventFactory, RegistrationFactory, in_days

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def club(db_session):
    return make_club()


def make_event(
    club, status: EventStatus = EventStatus.DRAFT, campaign_id: int | None = None, **fields
) -> Event:
    organisation = db.session.get(Organisation, club.organisation_id)
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    start = datetime(campaign.starts_on.year, 11, 17, 18, 30, tzinfo=PARIS) if campaign else in_days(20)
    fields.setdefault("starts_at", start)
    fields.setdefault("ends_at", fields["starts_at"].replace(hour=21))
    event = EventFactory(
        organisation=organisation,
        campaign=campaign,
        status=status,
        published_at=None,
        **{"title": "Ciné-débat « Demain »", **fields},
    )
    db.session.commit()
    return event


def status_of(event_id: int) -> EventStatus:
    db.session.expire_all()
    return db.session.get(Event, event_id).status


def post(app, member, path: str, **data):
    return client_for(app, member.user).post(path, data=data)


# --- Publishing without approval --------------------------------------------------


def test_a_draft_without_campaign_is_published_directly(app, club):
    event = make_event(club)
    client = client_for(app, club.editor.user)
    page = text(client.get(f"/admin/events/{event.id}/"))
    assert "Publier" in page and "Soumettre à la coordination" not in page
    response = client.post(f"/admin/events/{event.id}/publish")
    assert response.status_code == 303
    assert status_of(event.id) == EventStatus.PUBLISHED
    assert db.session.get(Event, event.id).published_at is not None
    assert "L'événement est publié" in text(client.get(f"/admin/events/{event.id}/"))
    # The public page shows it now.
    assert client_for(app, None).get(f"/events/{event.slug}").status_code == 200


def test_a_campaign_without_approval_publishes_directly(app, club):
    event = make_event(club, campaign_id=club.open_campaign_id)
    assert post(app, club.owner, f"/admin/events/{event.id}/publish").status_code == 303
    assert status_of(event.id) == EventStatus.PUBLISHED


def test_an_event_with_no_place_is_not_published(app, club):
    event = make_event(club, commune="", online_url=None)
    response = client_for(app, club.owner.user).post(
        f"/admin/events/{event.id}/publish", follow_redirects=True
    )
    assert "Indiquez un lieu" in text(response)
    assert status_of(event.id) == EventStatus.DRAFT


def test_a_past_draft_is_not_published(app, club):
    event = make_event(club, starts_at=in_days(-3), ends_at=in_days(-3, hour=21))
    response = client_for(app, club.owner.user).post(
        f"/admin/events/{event.id}/publish", follow_redirects=True
    )
    assert "Seul un brouillon à venir peut être publié." in text(response)
    assert status_of(event.id) == EventStatus.DRAFT


@pytest.mark.parametrize("status", [EventStatus.SUBMITTED, EventStatus.PUBLISHED, EventStatus.CANCELLED])
def test_only_a_draft_is_published(app, club, status):
    event = make_event(club, status=status)
    response = client_for(app, club.owner.user).post(
        f"/admin/events/{event.id}/publish", follow_redirects=True
    )
    assert "Seul un brouillon à venir peut être publié." in text(response)
    assert status_of(event.id) == status


# --- Submitting, approving, returning ----------------------------------------------


def test_an_approval_campaign_needs_submission_then_the_coordinator_approves(app, club):
    event = make_event(club, campaign_id=club.campaign_id)
    page = text(client_for(app, club.owner.user).get(f"/admin/events/{event.id}/"))
    assert "Soumettre à la coordination" in page and ">Publier<" not in page
    # Publishing directly is refused, in French.
    response = client_for(app, club.owner.user).post(
        f"/admin/events/{event.id}/publish", follow_redirects=True
    )
    assert "demande une validation : soumettez l'événement à la coordination" in text(response)
    assert status_of(event.id) == EventStatus.DRAFT

    assert post(app, club.owner, f"/admin/events/{event.id}/submit").status_code == 303
    assert status_of(event.id) == EventStatus.SUBMITTED
    assert client_for(app, None).get(f"/events/{event.slug}").status_code == 404  # not public yet

    review = text(client_for(app, club.coordinator.user).get(f"/admin/campaigns/{club.campaign_id}/review"))
    assert "Ciné-débat « Demain »" in review and "Club ESS de la Sarthe" in review
    response = post(
        app, club.coordinator, f"/admin/campaigns/{club.campaign_id}/approve", event_id=str(event.id)
    )
    assert response.status_code == 303
    assert status_of(event.id) == EventStatus.PUBLISHED
    assert db.session.get(Event, event.id).published_at is not None
    actions = [r.action for r in db.session.scalars(sa.select(EventReview).order_by(EventReview.id))]
    assert actions == [ReviewAction.SUBMITTED, ReviewAction.APPROVED]
    reviewer = db.session.scalars(sa.select(EventReview).order_by(EventReview.id.desc())).first()
    assert reviewer.actor_id == club.coordinator.user_id
    # Approving twice: refused, nothing changes.
    response = post(
        app, club.coordinator, f"/admin/campaigns/{club.campaign_id}/approve", event_id=str(event.id)
    )
    assert response.status_code == 422 and "n'attend plus de validation" in text(response)


def test_the_coordinator_returns_an_event_with_a_comment_shown_to_the_organiser(app, club):
    event = make_event(club, campaign_id=club.campaign_id, status=EventStatus.SUBMITTED)
    path = f"/admin/campaigns/{club.campaign_id}/return"
    response = post(app, club.coordinator, path, event_id=str(event.id), comment="  ")
    assert response.status_code == 422
    assert field_error(text(response), f"commentaire-{event.id}").endswith(
        "Expliquez à l'organisateur ce qu'il faut changer."
    )
    assert status_of(event.id) == EventStatus.SUBMITTED

    comment = "Précisez l'adresse exacte et l'accessibilité, s'il vous plaît."
    assert post(app, club.coordinator, path, event_id=str(event.id), comment=comment).status_code == 303
    assert status_of(event.id) == EventStatus.DRAFT
    page = text(client_for(app, club.editor.user).get(f"/admin/events/{event.id}/"))
    assert "La coordination vous a renvoyé cet événement" in page and comment in page
    # Submitted again: the comment is no longer shown as current.
    assert post(app, club.editor, f"/admin/events/{event.id}/submit").status_code == 303
    page = text(client_for(app, club.editor.user).get(f"/admin/events/{event.id}/"))
    assert "La coordination vous a renvoyé cet événement" not in page
    assert "En attente de validation" in page


def test_the_organiser_withdraws_a_submission(app, club):
    event = make_event(club, campaign_id=club.campaign_id, status=EventStatus.SUBMITTED)
    assert post(app, club.owner, f"/admin/events/{event.id}/withdraw").status_code == 303
    assert status_of(event.id) == EventStatus.DRAFT
    response = post(
        app, club.coordinator, f"/admin/campaigns/{club.campaign_id}/approve", event_id=str(event.id)
    )
    assert response.status_code == 422 and "n'attend plus de validation" in text(response)
    assert status_of(event.id) == EventStatus.DRAFT


def test_the_review_page_shows_no_registrant_and_no_draft(app, club):
    submitted = make_event(club, campaign_id=club.campaign_id, status=EventStatus.SUBMITTED)
    draft = make_event(club, campaign_id=club.campaign_id, title="Brouillon secret")
    RegistrationFactory(event=submitted, first_name="Zéphyrine", email="zephyrine@exemple.fr")
    db.session.commit()
    page = text(client_for(app, club.coordinator.user).get(f"/admin/campaigns/{club.campaign_id}/review"))
    assert "Zéphyrine" not in page and "zephyrine@exemple.fr" not in page
    assert "Brouillon secret" not in page
    # A draft never submitted is not even found by the coordinator.
    response = post(
        app, club.coordinator, f"/admin/campaigns/{club.campaign_id}/approve", event_id=str(draft.id)
    )
    assert response.status_code == 404
    assert status_of(draft.id) == EventStatus.DRAFT


def test_only_the_coordinator_of_the_campaign_decides(app, club):
    event = make_event(club, campaign_id=club.campaign_id, status=EventStatus.SUBMITTED)
    path = f"/admin/campaigns/{club.campaign_id}/approve"
    for member, expected in ((club.owner, 404), (club.outsider, 404), (club.checkin, 403)):
        assert post(app, member, path, event_id=str(event.id)).status_code == expected
    assert status_of(event.id) == EventStatus.SUBMITTED
    # An event of another campaign, named in the coordinator's URL: 404.
    other = make_event(club, campaign_id=club.open_campaign_id, status=EventStatus.SUBMITTED)
    assert post(app, club.coordinator, path, event_id=str(other.id)).status_code == 404
    assert status_of(other.id) == EventStatus.SUBMITTED
    # The services check the actor too.
    campaign = db.session.get(Campaign, club.campaign_id)
    with pytest.raises(NotFound):
        lifecycle.approve_event(campaign, event.id, club.owner)
    with pytest.raises(NotFound):
        lifecycle.return_event(campaign, event.id, club.outsider, "Non.")


def test_the_coordinator_cannot_edit_the_organisers_event(app, club):
    event = make_event(club, campaign_id=club.campaign_id, status=EventStatus.SUBMITTED)
    client = client_for(app, club.coordinator.user)
    assert client.get(f"/admin/events/{event.id}/edit").status_code == 404
    assert client.post(f"/admin/events/{event.id}/withdraw").status_code == 404
    with pytest.raises(NotFound):
        lifecycle.withdraw_event(event, club.coordinator)
    assert status_of(event.id) == EventStatus.SUBMITTED


# --- Unpublishing and cancelling -----------------------------------------------------


def test_unpublish_only_while_nobody_is_registered(app, club):
    event = make_event(club, status=EventStatus.PUBLISHED)
    registration = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    db.session.commit()
    response = client_for(app, club.owner.user).post(
        f"/admin/events/{event.id}/unpublish", follow_redirects=True
    )
    assert "Des personnes sont inscrites" in text(response) and "Annulez-le plutôt" in text(response)
    assert status_of(event.id) == EventStatus.PUBLISHED
    registration.status = RegistrationStatus.CANCELLED
    db.session.commit()
    assert post(app, club.owner, f"/admin/events/{event.id}/unpublish").status_code == 303
    assert status_of(event.id) == EventStatus.DRAFT


def test_cancel_asks_for_a_reason_and_notifies_through_cancel_event(app, club):
    event = make_event(club, status=EventStatus.PUBLISHED)
    people = [RegistrationFactory(event=event), RegistrationFactory(event=event)]
    db.session.commit()
    client = client_for(app, club.editor.user)
    page = text(client.get(f"/admin/events/{event.id}/cancel"))
    assert "2 personnes inscrites recevront un e-mail" in page
    response = client.post(f"/admin/events/{event.id}/cancel", data={"reason": ""})
    assert response.status_code == 422
    assert field_error(text(response), "reason").endswith("Indiquez la raison de l'annulation.")
    assert status_of(event.id) == EventStatus.PUBLISHED
    response = client.post(f"/admin/events/{event.id}/cancel", data={"reason": "Salle inondée."})
    assert response.status_code == 303
    event = db.session.get(Event, event.id)
    assert event.status == EventStatus.CANCELLED and event.cancellation_reason == "Salle inondée."
    notices = outbox_emails(EmailKind.EVENT_CANCELLED, event.id)
    assert sorted(row.registration_id for row in notices) == sorted(p.id for p in people)
    assert notices[0].payload["reason"] == "Salle inondée."


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.SUBMITTED, EventStatus.CANCELLED])
def test_only_a_published_event_is_cancelled_or_unpublished(app, club, status):
    event = make_event(club, status=status, campaign_id=club.campaign_id)
    client = client_for(app, club.owner.user)
    response = client.post(f"/admin/events/{event.id}/cancel", data={"reason": "Raison"})
    assert response.status_code == 422
    assert status_of(event.id) == status
    client.post(f"/admin/events/{event.id}/unpublish")
    assert status_of(event.id) == status


ACTIONS = {
    EventStatus.DRAFT: {"edit", "publish", "duplicate"},
    EventStatus.SUBMITTED: {"edit", "withdraw", "duplicate"},
    EventStatus.PUBLISHED: {"edit", "unpublish", "cancel", "duplicate"},
    EventStatus.CANCELLED: {"duplicate"},
}


@pytest.mark.parametrize("status", list(ACTIONS))
def test_allowed_actions_per_status(app, club, status):
    event = make_event(club, status=status)
    assert {action.value for action in events_service.allowed_actions(event)} == ACTIONS[status]
    with_approval = make_event(club, status=status, campaign_id=club.campaign_id)
    expected = {"submit" if a == "publish" else a for a in ACTIONS[status]}
    assert {action.value for action in events_service.allowed_actions(with_approval)} == expected


# --- Roles and other organisations -----------------------------------------------------


@pytest.mark.parametrize("action", ["publish", "submit", "withdraw", "unpublish"])
def test_check_in_staff_and_other_organisations_change_nothing(app, club, action):
    event = make_event(club, status=EventStatus.DRAFT)
    path = f"/admin/events/{event.id}/{action}"
    assert post(app, club.checkin, path).status_code == 403
    assert post(app, club.outsider, path).status_code == 404
    assert post(app, club.coordinator, path).status_code == 404
    assert status_of(event.id) == EventStatus.DRAFT


def test_the_services_refuse_another_organisation_whatever_the_view(app, club):
    """Data-level checks: a service given an actor of another organisation
    (or a check-in member) acts on nothing."""
    event = make_event(club, status=EventStatus.DRAFT)
    details = events_service.EventDetails.of(event)
    for actor in (club.outsider, club.checkin, club.coordinator):
        with pytest.raises(NotFound):
            events_service.update_event(event, actor, details)
        with pytest.raises(NotFound):
            lifecycle.publish_event(event, actor)
        with pytest.raises(NotFound):
            events_service.duplicate_event(
                event, actor, title="Copie", starts_at=event.starts_at, campaign_id=None
            )
        with pytest.raises(NotFound):
            add_session(
                event,
                actor,
                SessionDetails(title="Atelier", starts_at=event.starts_at, ends_at=event.ends_at),
            )
    db.session.rollback()
    assert status_of(event.id) == EventStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_pages_of_another_organisation_s_event_are_404_without_its_data(app, club):
    event = make_event(club, status=EventStatus.PUBLISHED, title="Forum très confidentiel")
    client = client_for(app, club.outsider.user)
    for path in (
        f"/admin/events/{event.id}/edit",
        f"/admin/events/{event.id}/duplicate",
        f"/admin/events/{event.id}/cancel",
        f"/admin/events/{event.id}/sessions/",
        f"/admin/events/{event.id}/questions/",
        f"/admin/events/{event.id}/reminders/",
        f"/admin/events/{event.id}/reminders/preview",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Forum très confidentiel" not in text(response), path
    response = client.post(f"/admin/events/{event.id}/cancel", data={"reason": "Piratage"})
    assert response.status_code == 404
    assert status_of(event.id) == EventStatus.PUBLISHED
