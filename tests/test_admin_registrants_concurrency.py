"""Moving people from the waiting list by hand while others do the same or
sign up, with real threads and real commits (PostgreSQL, and the embedded
SQLite file): the event's lock is taken before the seats are counted, so
the event is never over-filled and nobody is promoted twice."""

from __future__ import annotations

import sqlalchemy as sa

from eventsapp.accounts.models import Membership
from eventsapp.admin.event_parts_service import SessionDetails, update_session
from eventsapp.admin.registrants_service import RegistrantActionRefused, promote_registration
from eventsapp.catalog.models import Event, Session
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind, OutboxMessage
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.models import Registration, RegistrationStatus
from eventsapp.registrations.service import EventFull, sign_up
from tests.admin_events_support import make_club
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, in_days
from tests.test_registration_concurrency import committing_app, request_for, run_in_threads  # noqa: F401

R = RegistrationStatus


def seats_held(event_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Registration.seats), 0)).where(
            Registration.event_id == event_id, Registration.status.in_((R.CONFIRMED, R.PENDING))
        )
    )


def waiting_event(capacity: int, holders: int, waiting: int) -> tuple[int, list[int]]:
    event = EventFactory(capacity=capacity, waitlist_enabled=True)
    for number in range(holders):
        RegistrationFactory(event=event, email=f"tenant{number}@exemple.fr")
    waitlisted = [
        RegistrationFactory(
            event=event,
            email=f"attente{number}@exemple.fr",
            status=R.WAITLISTED,
            waitlist_position=number + 1,
        ).id
        for number in range(waiting)
    ]
    event_id = event.id
    db.session.commit()
    return event_id, waitlisted


def test_two_organisers_move_two_people_for_the_last_seat(committing_app):  # noqa: F811
    event_id, (first, second) = waiting_event(capacity=5, holders=4, waiting=2)
    outcomes = run_in_threads(
        committing_app,
        [lambda: promote_registration(event_id, first), lambda: promote_registration(event_id, second)],
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], EventFull), outcomes
    assert seats_held(event_id) == 5
    statuses = sorted(db.session.get(Registration, rid).status for rid in (first, second))
    assert statuses == sorted([R.CONFIRMED, R.WAITLISTED])


def test_promotions_and_sign_ups_at_once_never_overfill(committing_app):  # noqa: F811
    event_id, waiting = waiting_event(capacity=20, holders=17, waiting=10)
    promotions = [lambda rid=rid: promote_registration(event_id, rid) for rid in waiting]
    newcomers = [lambda n=n: sign_up(event_id, request_for(500 + n)) for n in range(6)]
    outcomes = run_in_threads(committing_app, promotions + newcomers)
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, EventFull)]
    assert unexpected == []
    assert seats_held(event_id) == 20
    promoted = sum(1 for outcome in outcomes[: len(waiting)] if isinstance(outcome, Registration))
    seated_newcomers = sum(
        1 for outcome in outcomes[len(waiting) :] if getattr(outcome, "status", None) == R.CONFIRMED
    )
    assert promoted + seated_newcomers == 3


def test_the_same_person_moved_twice_at_once_is_moved_once(committing_app):  # noqa: F811
    event_id, (only,) = waiting_event(capacity=5, holders=2, waiting=1)
    outcomes = run_in_threads(
        committing_app, [lambda: promote_registration(event_id, only) for _ in range(2)]
    )
    assert sum(isinstance(outcome, Registration) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, RegistrantActionRefused) for outcome in outcomes) == 1
    assert db.session.get(Registration, only).status == R.CONFIRMED
    promoted_emails = db.session.scalar(
        sa.select(sa.func.count()).where(
            OutboxMessage.registration_id == only, OutboxMessage.email_kind == EmailKind.PROMOTED
        )
    )
    assert promoted_emails == 1


def test_two_clicks_on_send_at_once_send_the_message_once(committing_app):  # noqa: F811
    """The second request waits on the unique send key (PostgreSQL) or on
    the write lock (SQLite) and is told it was already sent: no 500."""
    from eventsapp.admin.messages_models import OrganiserMessage
    from eventsapp.admin.messages_service import AlreadySent, Draft, send_message
    from eventsapp.admin.registrants_filters import RegistrantFilters
    from eventsapp.catalog.models import Event

    event_id, _waiting = waiting_event(capacity=5, holders=3, waiting=0)
    draft = Draft(
        subject="Changement de salle",
        body="Bonjour {prenom}, rendez-vous salle B.",
        filters=RegistrantFilters(),
    )

    def click():
        return send_message(db.session.get(Event, event_id), None, draft, "une-seule-cle")

    outcomes = run_in_threads(committing_app, [click, click])
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["AlreadySent", "OrganiserMessage"]
    assert any(isinstance(outcome, AlreadySent) for outcome in outcomes)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrganiserMessage)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 3


def test_two_organisers_moving_two_workshops_at_once_tell_people_twice(committing_app):  # noqa: F811
    """Each move raises the event's SEQUENCE under the event's lock: two at
    once give two SEQUENCEs, so a person who chose both workshops gets both
    notices (one key each), none dropped as a duplicate."""
    club = make_club()
    organisation = db.session.get(Organisation, club.organisation_id)
    event = EventFactory(
        organisation=organisation, starts_at=in_days(10, hour=9), ends_at=in_days(10, hour=18)
    )
    first = SessionFactory(event=event, starts_at=in_days(10, hour=10), ends_at=in_days(10, hour=11))
    second = SessionFactory(event=event, starts_at=in_days(10, hour=14), ends_at=in_days(10, hour=15))
    person = RegistrationFactory(event=event)
    person.sessions.extend([first, second])
    ids = (event.id, club.editor.id, first.id, second.id, person.id)
    db.session.commit()
    event_id, editor_id, first_id, second_id, person_id = ids

    def move(session_id: int, hour: int):  # noqa: ANN202
        def job() -> int:
            current = db.session.get(Event, event_id)
            details = SessionDetails(
                title=db.session.get(Session, session_id).title,
                starts_at=in_days(10, hour=hour),
                ends_at=in_days(10, hour=hour + 1),
            )
            return update_session(current, db.session.get(Membership, editor_id), session_id, details)

        return job

    outcomes = run_in_threads(committing_app, [move(first_id, 12), move(second_id, 16)])
    assert outcomes == [1, 1], outcomes
    db.session.expire_all()
    assert db.session.get(Event, event_id).sequence == 2
    notices = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.registration_id == person_id, OutboxMessage.email_kind == EmailKind.EVENT_CHANGED
        )
    ).all()
    assert len(notices) == 2
