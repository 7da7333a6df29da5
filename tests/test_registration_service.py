"""Registration rules, called directly (the test transaction is rolled back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsapp.catalog.models import EventQuestion
from eventsapp.catalog.vocabulary import EventStatus, QuestionKind
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.registrations import privacy, service
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus
from eventsapp.registrations.service import (
    EventFull,
    RegistrationClosed,
    SignUpRequest,
    cancel_registration,
    change_registration,
    confirm_pending,
    expire_pending_registrations,
    get_registration_by_token,
    promote_waitlist,
    sign_up,
    waitlist_rank,
)
from eventsapp.registrations.validation import InvalidRegistration
from tests.factories import EventFactory, SessionFactory, in_days

counter = iter(range(1_000_000))


def person(**changes) -> SignUpRequest:
    number = next(counter)
    values = dict(
        first_name="Camille",
        last_name=f"Martin{number}",
        email=f"camille{number}@exemple.fr",
        category=ParticipantCategory.GRAND_PUBLIC,
        consent=True,
    )
    values.update(changes)
    return SignUpRequest(**values)


def count(status: RegistrationStatus | None = None) -> int:
    statement = sa.select(sa.func.count()).select_from(Registration)
    if status:
        statement = statement.where(Registration.status == status)
    return db.session.scalar(statement)


def test_sign_up_confirms_and_gives_a_working_private_token(db_session):
    event = EventFactory(capacity=10)
    result = sign_up(event.id, person(email="  Camille@Exemple.FR "))
    assert result.status == RegistrationStatus.CONFIRMED
    registration = get_registration_by_token(result.token)
    assert registration.id == result.registration_id
    assert registration.email == "camille@exemple.fr"
    assert registration.token_hash != result.token and len(result.token) >= 43


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": EventStatus.DRAFT}, "n'accepte pas d'inscriptions"),
        ({"status": EventStatus.CANCELLED}, "n'accepte pas d'inscriptions"),
        ({"registration_required": False}, "entrée libre"),
        ({"started": True}, "a commencé"),
        ({"registration_closes_at": in_days(-1)}, "sont closes"),
        ({"registration_opens_at": in_days(1)}, "pas encore ouvertes"),
    ],
)
def test_closed_events_refuse_with_a_french_reason(db_session, changes, message):
    changes = dict(changes)  # the parameter is shared by both backends
    if changes.pop("started", False):
        changes = {"starts_at": now_utc() - timedelta(minutes=10), "ends_at": now_utc() + timedelta(hours=2)}
    event = EventFactory(**changes)
    with pytest.raises(RegistrationClosed) as refused:
        sign_up(event.id, person())
    assert message in refused.value.message
    assert count() == 0


def test_full_event_without_waiting_list_stores_nothing(db_session):
    event = EventFactory(capacity=2, max_seats_per_registration=5)
    sign_up(event.id, person(seats=2))
    with pytest.raises(EventFull) as refused:
        sign_up(event.id, person())
    assert refused.value.message.startswith("Complet")
    assert count() == 1


def test_a_refusal_says_what_is_full_and_what_a_smaller_group_could_still_get(db_session):
    event = EventFactory(capacity=3, max_seats_per_registration=5)
    sign_up(event.id, person(seats=2))
    with pytest.raises(EventFull) as group:
        sign_up(event.id, person(seats=3))
    assert (
        group.value.message == "Il ne reste qu'une place pour cet événement : réduisez le nombre de places."
    )
    sign_up(event.id, person(seats=1))
    with pytest.raises(EventFull) as full:
        sign_up(event.id, person())
    assert full.value.message == "Complet : il ne reste plus de place pour cet événement."

    with_workshops = EventFactory(capacity=100, max_seats_per_registration=5)
    compost = SessionFactory(event=with_workshops, capacity=2, title="Compost partagé")
    sign_up(with_workshops.id, person(session_ids=[compost.id]))
    with pytest.raises(EventFull) as group_in_workshop:
        sign_up(with_workshops.id, person(seats=2, session_ids=[compost.id]))
    assert group_in_workshop.value.message == (
        "L'atelier « Compost partagé » n'a plus qu'une place : réduisez le nombre de places "
        "ou choisissez un autre atelier."
    )
    sign_up(with_workshops.id, person(session_ids=[compost.id]))
    with pytest.raises(EventFull) as workshop_full:
        sign_up(with_workshops.id, person(session_ids=[compost.id]))
    assert workshop_full.value.message == (
        "Complet : l'atelier « Compost partagé » n'a plus de place. Choisissez un autre atelier."
    )
    assert count() == 4  # the refusals stored nothing

    # Several limits: the full workshop is named even when the event has
    # room; otherwise the fewest seats left anywhere (what would fit).
    tight = EventFactory(capacity=3, max_seats_per_registration=5)
    morning = SessionFactory(event=tight, capacity=1, title="Matin")
    afternoon = SessionFactory(
        event=tight,
        capacity=3,
        title="Après-midi",
        starts_at=morning.ends_at,
        ends_at=morning.ends_at + timedelta(hours=1),
    )
    sign_up(tight.id, person(session_ids=[morning.id]))  # the event has 2 seats left, "Matin" none
    with pytest.raises(EventFull) as full_workshop:
        sign_up(tight.id, person(seats=3, session_ids=[morning.id, afternoon.id]))
    assert full_workshop.value.message.startswith("Complet : l'atelier « Matin » n'a plus de place.")
    with pytest.raises(EventFull) as fewest:
        sign_up(tight.id, person(seats=3, session_ids=[afternoon.id]))
    assert (
        fewest.value.message == "Il ne reste que 2 places pour cet événement : réduisez le nombre de places."
    )
    confirmed = sign_up(tight.id, person(seats=2, session_ids=[afternoon.id]))
    assert confirmed.status == RegistrationStatus.CONFIRMED


def test_waiting_list_keeps_order(db_session):
    event = EventFactory(capacity=1, waitlist_enabled=True)
    sign_up(event.id, person())
    first = sign_up(event.id, person())
    second = sign_up(event.id, person())
    assert first.status == second.status == RegistrationStatus.WAITLISTED
    assert waitlist_rank(db.session.get(Registration, first.registration_id)) == 1
    assert waitlist_rank(db.session.get(Registration, second.registration_id)) == 2


def test_a_full_session_sends_to_the_waiting_list(db_session):
    event = EventFactory(capacity=100, waitlist_enabled=True)
    small = SessionFactory(event=event, capacity=1)
    large = SessionFactory(
        event=event, capacity=50, starts_at=small.ends_at, ends_at=small.ends_at + timedelta(hours=1)
    )
    assert sign_up(event.id, person(session_ids=[small.id])).status == RegistrationStatus.CONFIRMED
    assert sign_up(event.id, person(session_ids=[small.id])).status == RegistrationStatus.WAITLISTED
    assert sign_up(event.id, person(session_ids=[large.id])).status == RegistrationStatus.CONFIRMED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"seats": 0}, "seats"),
        ({"seats": 4}, "seats"),
        ({"consent": False}, "consent"),
        ({"session_ids": []}, "sessions"),
        ({"session_ids": "overlap"}, "sessions"),
        ({"session_ids": "other-event"}, "sessions"),
    ],
)
def test_invalid_requests_name_their_field_and_store_nothing(db_session, changes, field):
    event = EventFactory(capacity=10, max_seats_per_registration=3)
    morning = SessionFactory(event=event)
    overlapping = SessionFactory(event=event, starts_at=morning.starts_at + timedelta(minutes=30))
    foreign = SessionFactory()
    if changes.get("session_ids") == "overlap":
        changes = {"session_ids": [morning.id, overlapping.id]}
    elif changes.get("session_ids") == "other-event":
        changes = {"session_ids": [foreign.id]}
    request = person(**changes)
    if "session_ids" not in changes:
        request.session_ids = [morning.id]
    with pytest.raises(InvalidRegistration) as refused:
        sign_up(event.id, request)
    assert refused.value.field == field
    assert count() == 0


def test_answers_are_checked(db_session):
    event = EventFactory()
    question = EventQuestion(event=event, label="Régime alimentaire", kind=QuestionKind.SINGLE_CHOICE,
                             choices=["Aucun", "Végétarien"], required=True)  # fmt: skip
    db.session.add(question)
    db.session.flush()
    with pytest.raises(InvalidRegistration) as missing:
        sign_up(event.id, person())
    assert missing.value.field == f"question_{question.id}"
    with pytest.raises(InvalidRegistration):
        sign_up(event.id, person(answers={question.id: "Carnivore"}))
    result = sign_up(event.id, person(answers={question.id: "Végétarien"}))
    assert db.session.get(Registration, result.registration_id).answers[0].value == "Végétarien"


def test_same_email_twice_reveals_nothing_and_stores_nothing(db_session):
    event = EventFactory()
    sign_up(event.id, person(email="dup@exemple.fr"))
    again = sign_up(event.id, person(email="DUP@exemple.fr"))
    assert again.registration_id is None and again.status is None and again.token is None
    assert count() == 1


def test_cancelling_frees_seats_and_promotion_follows_order_skipping_what_does_not_fit(db_session):
    event = EventFactory(capacity=3, waitlist_enabled=True, max_seats_per_registration=3)
    holder = sign_up(event.id, person(seats=2))
    sign_up(event.id, person(seats=1))
    too_big = sign_up(event.id, person(seats=3))
    fits = sign_up(event.id, person(seats=2))
    also_fits_later = sign_up(event.id, person(seats=1))
    cancel_registration(holder.registration_id)
    promoted = promote_waitlist(event.id)
    assert promoted == [fits.registration_id]
    assert db.session.get(Registration, too_big.registration_id).status == RegistrationStatus.WAITLISTED
    assert (
        db.session.get(Registration, also_fits_later.registration_id).status == RegistrationStatus.WAITLISTED
    )
    assert promote_waitlist(event.id) == []  # nothing more fits: running again changes nothing


def test_no_promotion_after_the_cut_off(db_session):
    event = EventFactory(capacity=1, waitlist_enabled=True, starts_at=now_utc() + timedelta(minutes=90),
                         ends_at=now_utc() + timedelta(hours=3))  # fmt: skip
    holder = sign_up(event.id, person())
    waiting = sign_up(event.id, person())
    cancel_registration(holder.registration_id)
    assert promote_waitlist(event.id) == []  # 90 min before the start, cut-off is 120 min
    assert db.session.get(Registration, waiting.registration_id).status == RegistrationStatus.WAITLISTED


def test_double_opt_in_holds_then_confirms_or_expires(db_session):
    event = EventFactory(capacity=1, waitlist_enabled=True, requires_email_confirmation=True)
    pending = sign_up(event.id, person())
    assert pending.status == RegistrationStatus.PENDING
    waiting = sign_up(event.id, person())
    assert waiting.status == RegistrationStatus.WAITLISTED  # the pending one holds the seat
    later = now_utc() + timedelta(hours=25)
    assert expire_pending_registrations(later) == 1
    assert db.session.get(Registration, pending.registration_id).status == RegistrationStatus.EXPIRED
    assert promote_waitlist(event.id) == [waiting.registration_id]
    promoted = db.session.get(Registration, waiting.registration_id)
    assert promoted.status == RegistrationStatus.PENDING
    confirm_pending(promoted.id)
    assert promoted.status == RegistrationStatus.CONFIRMED


def test_changing_seats_follows_the_same_rules(db_session):
    event = EventFactory(capacity=4, max_seats_per_registration=4)
    mine = sign_up(event.id, person(seats=2))
    sign_up(event.id, person(seats=2))
    with pytest.raises(EventFull):
        change_registration(mine.registration_id, seats=3, session_ids=[])
    assert db.session.get(Registration, mine.registration_id).seats == 2
    change_registration(mine.registration_id, seats=1, session_ids=[])
    assert db.session.get(Registration, mine.registration_id).seats == 1


def test_anonymised_registration_still_counts(db_session):
    event = EventFactory(capacity=5)
    result = sign_up(event.id, person(seats=1, phone="02 61 91 00 00"))
    privacy.anonymise_registration(result.registration_id)
    registration = db.session.get(Registration, result.registration_id)
    assert registration.first_name == "" and registration.phone is None
    assert registration.anonymised_at is not None and registration.seats == 1
    assert registration.status == RegistrationStatus.CANCELLED
    with pytest.raises(Exception):  # noqa: B017 - the old link no longer opens anything
        get_registration_by_token(result.token)


def test_raising_the_capacity_lets_the_waiting_list_in(db_session):
    event = EventFactory(capacity=1, waitlist_enabled=True)
    sign_up(event.id, person())
    waiting = sign_up(event.id, person())
    service.change_capacity(event.id, 1)
    assert promote_waitlist(event.id) == []
    service.change_capacity(event.id, 2)
    assert promote_waitlist(event.id) == [waiting.registration_id]
    with pytest.raises(InvalidRegistration):
        service.change_capacity(event.id, -1)


def test_a_promotion_that_needs_confirmation_says_so_in_the_email(app, db_session):
    from eventsapp.notifications.mailer import compose_email
    from eventsapp.notifications.service import EmailKind

    event = EventFactory(capacity=1, waitlist_enabled=True, requires_email_confirmation=True)
    holder = sign_up(event.id, person())
    waiting = sign_up(event.id, person())
    cancel_registration(holder.registration_id)
    promote_waitlist(event.id)
    with app.test_request_context():
        message = compose_email(EmailKind.PROMOTED, db.session.get(Registration, waiting.registration_id))
    assert "confirmez-la" in message.body and "/confirm" in message.body
    assert "est confirmée" not in message.body


def test_personal_data_are_erased_twelve_months_after_the_event(db_session):
    old = EventFactory(starts_at=now_utc() - timedelta(days=400), ends_at=now_utc() - timedelta(days=399))
    recent = EventFactory(starts_at=now_utc() - timedelta(days=300), ends_at=now_utc() - timedelta(days=299))
    from tests.factories import RegistrationFactory

    kept = RegistrationFactory(event=recent, first_name="Récente")
    erased = RegistrationFactory(event=old, first_name="Ancienne", seats=3)
    assert privacy.anonymise_old_registrations() == 1
    assert erased.first_name == "" and erased.anonymised_at is not None and erased.seats == 3
    assert erased.status == RegistrationStatus.CONFIRMED  # still counts as it did
    assert kept.first_name == "Récente" and kept.anonymised_at is None
    assert privacy.anonymise_old_registrations() == 0  # nothing left to do


def test_erasure_deletes_the_calendar_feed_of_an_address_with_nothing_else_left(db_session):
    from eventsapp.calendars.tokens import ensure_feed, find_feed

    first, second = EventFactory(), EventFactory()
    one = sign_up(first.id, person(email="ines@exemple.fr"))
    two = sign_up(second.id, person(email="ines@exemple.fr"))
    ensure_feed("ines@exemple.fr")
    privacy.anonymise_registration(one.registration_id)
    assert find_feed("ines@exemple.fr") is not None  # still registered elsewhere
    privacy.anonymise_registration(two.registration_id)
    assert find_feed("ines@exemple.fr") is None
