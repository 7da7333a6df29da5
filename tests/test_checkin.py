"""Check-in on the day (issue 6, point 6): the event's page at the door,
one tap to check in, undo, "déjà pointé·e à 9 h 12 par …", search, walk-ins
that never go below zero, exact counts, per-session check-in."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsapp.accounts.models import Role
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.checkin import attendance, service
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.formatting import local_time
from eventsapp.registrations.models import ParticipantCategory, RegistrationStatus
from tests.accounts_support import client_for, make_member, text
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory, SessionFactory


@pytest.fixture
def door(db_session):
    """A published event of the Club ESS, its check-in volunteer and people."""
    club = OrganisationFactory(name="Club ESS de la Sarthe")
    volunteer = make_member(club, Role.CHECKIN, full_name="Lou Accueil")
    event = EventFactory(organisation=club, title="Journée de l'ESS", capacity=100, waitlist_enabled=True)
    people = {
        "helene": RegistrationFactory(event=event, first_name="Hélène", last_name="Durand", seats=1),
        "classe": RegistrationFactory(
            event=event, first_name="Paul", last_name="Martin", structure="Lycée Touchard", seats=3
        ),
        "pending": RegistrationFactory(
            event=event, first_name="Inès", last_name="Éluard", status=RegistrationStatus.PENDING, seats=2
        ),
        "waiting": RegistrationFactory(
            event=event,
            first_name="Zoé",
            last_name="Attente",
            status=RegistrationStatus.WAITLISTED,
            waitlist_position=1,
        ),
        "cancelled": RegistrationFactory(
            event=event, first_name="Yves", last_name="Annulé", status=RegistrationStatus.CANCELLED
        ),
    }
    db.session.commit()
    return club, volunteer, event, people


def page(client, event, **params) -> str:
    response = client.get(f"/admin/events/{event.id}/checkin", query_string=params)
    assert response.status_code == 200
    return text(response)


def checkins(event) -> list[CheckIn]:
    return list(db.session.scalars(sa.select(CheckIn).where(CheckIn.event_id == event.id)))


def counts_json(client, event, **params) -> dict:
    response = client.get(f"/admin/events/{event.id}/checkin/counts.json", query_string=params)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    return json.loads(response.get_data(as_text=True))


# --- The page -------------------------------------------------------------------


def test_the_page_lists_who_is_expected_with_the_counts(app, door):
    _club, volunteer, event, people = door
    html = page(client_for(app, volunteer.user), event)
    assert "DURAND Hélène" in html and "MARTIN Paul" in html and "Lycée Touchard" in html
    assert "ÉLUARD Inès" in html and "pas encore confirmée" in html  # pending seats are held
    assert "Attente" not in html and "Annulé" not in html
    # Expected: 1 + 3 + 2 held seats; nobody present yet.
    assert counts_json(client_for(app, volunteer.user), event) == {
        "expected": 6,
        "present": 0,
        "walk_ins": 0,
        "total_present": 0,
        "walk_ins_by_category": {category.value: 0 for category in ParticipantCategory},
    }
    assert 'data-count="expected">6<' in html
    assert html.index("DURAND Hélène") < html.index("ÉLUARD Inès") < html.index("MARTIN Paul")


def test_the_list_of_events_open_for_check_in(app, door):
    club, volunteer, event, people = door
    EventFactory(organisation=club, title="Brouillon caché", status=EventStatus.DRAFT)
    EventFactory(title="Événement d'une autre structure")
    # A second event: the list counts each event's figures apart (one grouped query each).
    breakfast = EventFactory(
        organisation=club, title="Petit-déjeuner", starts_at=event.starts_at + timedelta(days=1)
    )
    RegistrationFactory(event=breakfast, seats=4)
    db.session.commit()
    html = text(client_for(app, volunteer.user).get("/admin/checkin/"))
    assert "Journée de l'ESS" in html and f'href="/admin/events/{event.id}/checkin"' in html
    assert "0 présent·es sur 6 attendu·es" in html
    assert "0 présent·es sur 4 attendu·es" in html
    assert "Brouillon caché" not in html and "autre structure" not in html


# --- One tap, undo, twice -------------------------------------------------------------


def test_one_tap_checks_a_person_in_and_the_page_says_so(app, door):
    _club, volunteer, event, people = door
    client = client_for(app, volunteer.user)
    response = client.post(
        f"/admin/events/{event.id}/checkin/check",
        data={"registration_id": people["helene"].id, "q": "dur"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/events/{event.id}/checkin?q=dur"
    [row] = checkins(event)
    assert row.registration_id == people["helene"].id and row.session_id is None
    assert row.seats == 1 and row.recorded_by_id == volunteer.user.id
    html = page(client, event, q="dur")
    assert "Hélène Durand est pointé·e." in html
    assert "Présent·e" in html and "par Lou Accueil" in html
    assert "le pointage de DURAND Hélène" in html  # the undo button
    assert counts_json(client, event)["present"] == 1


def test_checking_in_twice_says_who_was_first_and_changes_nothing(app, door):
    club, volunteer, event, people = door
    first = make_member(club, Role.EDITOR, full_name="Camille Bénévole")
    # Recorded at 9:12 this morning, in the event's time zone.
    morning = local_time(now_utc(), event.timezone).replace(hour=9, minute=12, second=0, microsecond=0)
    if morning > now_utc():
        morning = local_time(now_utc(), event.timezone).replace(second=0, microsecond=0)
    db.session.add(
        CheckIn(
            event_id=event.id,
            registration_id=people["helene"].id,
            seats=1,
            recorded_by_id=first.user.id,
            recorded_at=morning,
        )
    )
    db.session.commit()
    client = client_for(app, volunteer.user)
    response = client.post(
        f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["helene"].id}
    )
    assert response.status_code == 303
    html = page(client, event)
    clock = f"{morning.hour} h {morning.minute:02d}" if morning.minute else f"{morning.hour} h"
    assert f"Hélène Durand : déjà pointé·e à {clock} par Camille Bénévole. Rien n'a été modifié." in html
    [row] = checkins(event)
    assert row.recorded_by_id == first.user.id and row.recorded_at == morning


def test_undo_takes_the_check_in_back_once(app, door):
    _club, volunteer, event, people = door
    client = client_for(app, volunteer.user)
    client.post(f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["classe"].id})
    assert counts_json(client, event)["present"] == 3
    response = client.post(
        f"/admin/events/{event.id}/checkin/undo", data={"registration_id": people["classe"].id}
    )
    assert response.status_code == 303
    assert checkins(event) == []
    assert "Pointage de Paul Martin annulé." in page(client, event)
    client.post(f"/admin/events/{event.id}/checkin/undo", data={"registration_id": people["classe"].id})
    assert "Paul Martin n'était pas pointé·e : rien n'a été modifié." in page(client, event)
    assert counts_json(client, event)["present"] == 0
    # And the person can be checked in again.
    client.post(f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["classe"].id})
    assert len(checkins(event)) == 1


def test_a_class_may_come_short(app, door):
    _club, volunteer, event, people = door
    client = client_for(app, volunteer.user)
    html = page(client, event)
    assert f'<label for="presents-{people["classe"].id}">Présent·es</label>' in html
    client.post(
        f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["classe"].id, "seats": "5"}
    )
    assert checkins(event) == []
    assert "Indiquez un nombre de personnes présentes entre 1 et 3." in page(client, event)
    client.post(
        f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["classe"].id, "seats": "2"}
    )
    assert [row.seats for row in checkins(event)] == [2]
    assert counts_json(client, event) | {"walk_ins_by_category": None} == {
        "expected": 6,
        "present": 2,
        "walk_ins": 0,
        "total_present": 2,
        "walk_ins_by_category": None,
    }


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("waiting", "Zoé Attente n'a pas de place réservée (inscription : Liste d'attente)."),
        ("cancelled", "Yves Annulé n'a pas de place réservée (inscription : Annulée)."),
    ],
)
def test_only_people_holding_seats_are_checked_in(app, door, who, message):
    _club, volunteer, event, people = door
    client = client_for(app, volunteer.user)
    client.post(f"/admin/events/{event.id}/checkin/check", data={"registration_id": people[who].id})
    assert checkins(event) == []
    assert message in page(client, event)


def test_a_registration_of_another_event_cannot_be_checked_in_here(app, door):
    club, volunteer, event, _people = door
    elsewhere = RegistrationFactory(event=EventFactory(organisation=club), first_name="Autre")
    foreign = RegistrationFactory(first_name="Étrangère")  # another organisation's event
    db.session.commit()
    client = client_for(app, volunteer.user)
    for registration in (elsewhere, foreign):
        response = client.post(
            f"/admin/events/{event.id}/checkin/check", data={"registration_id": registration.id}
        )
        assert response.status_code == 303
        assert "Cette inscription n'existe pas pour cet événement." in page(client, event)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0
    client.post(f"/admin/events/{event.id}/checkin/check", data={"registration_id": "pas-un-nombre"})
    assert "Choisissez la personne à pointer dans la liste." in page(client, event)


def test_a_cancelled_event_is_closed_for_check_in(app, door):
    _club, volunteer, event, people = door
    event.status = EventStatus.CANCELLED
    db.session.commit()
    client = client_for(app, volunteer.user)
    client.post(f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["helene"].id})
    assert checkins(event) == []
    assert "Cet événement est annulé : le pointage est fermé." in page(client, event)


def test_staff_of_another_organisation_get_nothing(app, door):
    _club, _volunteer, event, people = door
    outsider = make_member(OrganisationFactory(), Role.OWNER)
    db.session.commit()
    client = client_for(app, outsider.user)
    assert client.get(f"/admin/events/{event.id}/checkin").status_code == 404
    response = client.post(
        f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["helene"].id}
    )
    assert response.status_code == 404
    assert checkins(event) == []


# --- Search -----------------------------------------------------------------------------


def test_search_by_name_without_javascript(app, door):
    _club, volunteer, event, _people = door
    client = client_for(app, volunteer.user)
    html = page(client, event, q="helene")  # no accent typed
    assert "DURAND Hélène" in html and "MARTIN Paul" not in html
    assert "1 personne trouvée pour « helene »." in html
    assert 'value="helene"' in html  # the search field keeps it
    html = page(client, event, q="touchard")  # the structure
    assert "MARTIN Paul" in html and "DURAND Hélène" not in html
    html = page(client, event, q="personne inconnue")
    assert "Aucune personne inscrite ne correspond" in html


def test_the_results_fragment_for_the_search_script(app, door):
    _club, volunteer, event, _people = door
    response = client_for(app, volunteer.user).get(
        f"/admin/events/{event.id}/checkin/results", query_string={"q": "DUR"}
    )
    assert response.status_code == 200
    fragment = text(response)
    assert "DURAND Hélène" in fragment and "MARTIN Paul" not in fragment
    assert "<html" not in fragment and 'name="csrf_token"' in fragment


def test_the_list_is_cut_without_a_search(app, door, monkeypatch):
    _club, volunteer, event, _people = door
    monkeypatch.setattr(attendance, "LIST_LIMIT", 2)
    html = page(client_for(app, volunteer.user), event)
    assert "Les 2 premières personnes sur 3 : tapez quelques lettres du nom." in html
    assert "MARTIN Paul" not in html


# --- Walk-ins ------------------------------------------------------------------------------


def walk_in(client, event, category: str, change: str, **extra):
    return client.post(
        f"/admin/events/{event.id}/checkin/walk-ins", data={"category": category, "change": change, **extra}
    )


def test_walk_ins_count_up_and_down_by_category(app, door):
    _club, volunteer, event, _people = door
    client = client_for(app, volunteer.user)
    assert walk_in(client, event, "etudiant", "plus").status_code == 303
    walk_in(client, event, "etudiant", "plus")
    walk_in(client, event, "elu", "plus")
    walk_in(client, event, "etudiant", "moins")
    counts = counts_json(client, event)
    assert counts["walk_ins"] == 2 and counts["total_present"] == 2
    assert counts["walk_ins_by_category"]["etudiant"] == 1 and counts["walk_ins_by_category"]["elu"] == 1
    assert "Venus sans inscription, Étudiant·e / scolaire : 1." in page(client, event)
    assert {row.recorded_by_id for row in db.session.scalars(sa.select(WalkIn))} == {volunteer.user.id}


def test_walk_ins_never_go_below_zero(app, door):
    _club, volunteer, event, _people = door
    client = client_for(app, volunteer.user)
    walk_in(client, event, "presse", "plus")
    walk_in(client, event, "presse", "moins")
    response = walk_in(client, event, "presse", "moins")
    assert response.status_code == 303
    html = page(client, event)
    assert "Aucune personne venue sans inscription à retirer dans « Presse »." in html
    assert db.session.scalar(sa.select(sa.func.sum(WalkIn.count))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WalkIn)) == 2
    with pytest.raises(service.CheckInRefused):
        service.change_walk_ins(event.id, ParticipantCategory.ELU, -1, volunteer.user.id)


def test_walk_in_form_errors_are_french(app, door):
    _club, volunteer, event, _people = door
    client = client_for(app, volunteer.user)
    walk_in(client, event, "roi", "plus")
    walk_in(client, event, "elu", "beaucoup")
    assert "Choisissez une catégorie et le bouton + ou −." in page(client, event)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WalkIn)) == 0


def test_counts_add_up(app, door):
    """Expected, present, walk-ins and total after a mix of taps."""
    _club, volunteer, event, people = door
    client = client_for(app, volunteer.user)
    client.post(f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["helene"].id})
    client.post(f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["pending"].id})
    client.post(f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["helene"].id})
    for _ in range(3):
        walk_in(client, event, "grand-public", "plus")
    counts = counts_json(client, event)
    assert (counts["expected"], counts["present"], counts["walk_ins"], counts["total_present"]) == (
        6,
        3,
        3,
        6,
    )
    html = page(client, event)
    assert 'data-count="present">3<' in html and 'data-count="total_present">6<' in html


# --- Sessions ------------------------------------------------------------------------------


def test_sessions_are_checked_in_apart_from_the_door(app, door):
    _club, volunteer, event, people = door
    workshop = SessionFactory(event=event, title="Atelier finance solidaire")
    other = SessionFactory(event=event, title="Atelier mobilité")
    people["helene"].sessions = [workshop]
    people["classe"].sessions = [other]
    db.session.commit()
    client = client_for(app, volunteer.user)
    html = page(client, event, session=workshop.id)
    assert "Atelier finance solidaire" in html and "DURAND Hélène" in html and "MARTIN Paul" not in html
    assert counts_json(client, event, session=workshop.id)["expected"] == 1

    client.post(
        f"/admin/events/{event.id}/checkin/check",
        data={"registration_id": people["helene"].id, "session": workshop.id},
    )
    client.post(
        f"/admin/events/{event.id}/checkin/check",
        data={"registration_id": people["classe"].id, "session": workshop.id},
    )
    assert "Paul Martin n'est pas inscrit·e à cet atelier." in page(client, event, session=workshop.id)
    walk_in(client, event, "benevole", "plus", session=workshop.id)
    assert [(row.registration_id, row.session_id) for row in checkins(event)] == [
        (people["helene"].id, workshop.id)
    ]
    assert counts_json(client, event, session=workshop.id) | {"walk_ins_by_category": None} == {
        "expected": 1,
        "present": 1,
        "walk_ins": 1,
        "total_present": 2,
        "walk_ins_by_category": None,
    }
    # The door's figures are the door's: nobody checked in there yet.
    assert counts_json(client, event)["present"] == 0 and counts_json(client, event)["walk_ins"] == 0
    client.post(f"/admin/events/{event.id}/checkin/check", data={"registration_id": people["helene"].id})
    assert len(checkins(event)) == 2  # once at the door, once at the workshop
    # A session of another event is no scope here.
    stranger = SessionFactory()
    db.session.commit()
    assert (
        client.get(f"/admin/events/{event.id}/checkin", query_string={"session": stranger.id}).status_code
        == 404
    )


# --- The rules, directly ------------------------------------------------------------------


def test_the_service_returns_the_earlier_row_on_a_second_check_in(db_session):
    club = OrganisationFactory()
    first, second = make_member(club, Role.CHECKIN), make_member(club, Role.CHECKIN)
    registration = RegistrationFactory(event=EventFactory(organisation=club), seats=2)
    one = service.check_in(registration.event_id, registration.id, first.user.id)
    two = service.check_in(
        registration.event_id, registration.id, second.user.id, now=now_utc() + timedelta(minutes=5)
    )
    assert one.created and not two.created
    assert two.checkin.id == one.checkin.id and two.checkin.recorded_by_id == first.user.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1
    assert service.undo_check_in(registration.event_id, registration.id)
    assert not service.undo_check_in(registration.event_id, registration.id)
