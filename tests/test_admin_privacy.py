"""An organisation's personal-data duties (issue 6, point 8): find a person
by e-mail in its events, export their data, erase it (figures kept), always
within the organisation; and a retention setting per organisation, applied
by the beat task."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventsapp.accounts.models import Role
from eventsapp.catalog.models import EventQuestion
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.checkin.models import CheckIn
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind, OutboxMessage, OutboxStatus
from eventsapp.notifications.service import enqueue_email
from eventsapp.registrations import privacy
from eventsapp.registrations.models import Registration, RegistrationAnswer, RegistrationStatus
from tests.accounts_support import client_for, field_error, make_member, text
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory, in_days

EMAIL = "ines.martin@exemple.fr"


@pytest.fixture
def world(db_session):
    """Inès registered to two events of the Club and one of another
    organisation, with the same address."""
    club = OrganisationFactory(name="Club ESS de la Sarthe")
    owner = make_member(club, Role.OWNER, full_name="Anne Responsable")
    past = EventFactory(
        organisation=club, title="Petit déjeuner passé", starts_at=in_days(-30), ends_at=in_days(-30, 20)
    )
    coming = EventFactory(organisation=club, title="Journée de l'ESS")
    question = EventQuestion(event=coming, label="Régime alimentaire", kind=QuestionKind.TEXT, position=1)
    db.session.add(question)
    db.session.flush()
    at_past = RegistrationFactory(
        event=past, email=EMAIL, first_name="Inès", last_name="Martin", phone="0601020304", seats=2
    )
    at_coming = RegistrationFactory(event=coming, email=EMAIL, first_name="Inès", last_name="Martin")
    at_coming.answers = [RegistrationAnswer(question_id=question.id, value="Végétarien")]
    elsewhere = RegistrationFactory(
        event=EventFactory(title="Visite Bêta"), email=EMAIL, first_name="Inès", last_name="Martin"
    )
    someone_else = RegistrationFactory(event=coming, email="autre@exemple.fr", first_name="Paul")
    enqueue_email(EmailKind.CONFIRMATION, at_coming)
    db.session.add(
        CheckIn(event_id=past.id, registration_id=at_past.id, seats=2, recorded_by_id=owner.user.id)
    )
    db.session.commit()
    return {
        "club": club,
        "owner": owner,
        "at_past": at_past,
        "at_coming": at_coming,
        "elsewhere": elsewhere,
        "someone_else": someone_else,
    }


def fresh(registration_id: int) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def test_the_owner_finds_a_person_in_the_organisation_s_events_only(app, world):
    client = client_for(app, world["owner"].user)
    home = client.get("/admin/privacy/")
    assert home.status_code == 200 and "Données personnelles (RGPD)" in text(home)
    response = client.post("/admin/privacy/person", data={"email": "  Ines.Martin@Exemple.fr "})
    assert response.status_code == 200
    html = text(response)
    assert "2 inscriptions à vos événements" in html
    assert "Petit déjeuner passé" in html and "Journée de l'ESS" in html and "0601020304" in html
    assert "Visite Bêta" not in html and "Paul" not in html


def test_the_registrant_s_line_links_by_id_within_the_organisation(app, world):
    client = client_for(app, world["owner"].user)
    response = client.get("/admin/privacy/person", query_string={"registration_id": world["at_coming"].id})
    assert response.status_code == 200 and f"Données de {EMAIL}" in text(response)
    other = client.get("/admin/privacy/person", query_string={"registration_id": world["elsewhere"].id})
    assert other.status_code == 404 and "Inès" not in text(other)


def test_a_search_needs_a_valid_address(app, world):
    response = client_for(app, world["owner"].user).post(
        "/admin/privacy/person", data={"email": "pas-une-adresse"}
    )
    assert response.status_code == 422
    assert "adresse e-mail valide" in field_error(text(response), "email")


def test_export_is_a_private_json_file_of_the_organisation_s_data(app, world):
    response = client_for(app, world["owner"].user).post("/admin/privacy/export", data={"email": EMAIL})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="donnees-personnelles-')
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert data["email"] == EMAIL and data["organisation"]["name"] == "Club ESS de la Sarthe"
    by_event = {entry["event"]["title"]: entry for entry in data["registrations"]}
    assert set(by_event) == {"Petit déjeuner passé", "Journée de l'ESS"}  # not "Visite Bêta"
    coming = by_event["Journée de l'ESS"]
    assert coming["answers"] == [{"question": "Régime alimentaire", "value": "Végétarien"}]
    assert [(mail["kind"], mail["recipient"]) for mail in coming["emails"]] == [("confirmation", EMAIL)]
    past = by_event["Petit déjeuner passé"]
    assert past["phone"] == "0601020304" and past["seats"] == 2
    assert [(entry["session"], entry["seats"]) for entry in past["check_ins"]] == [(None, 2)]


def test_erasure_needs_a_confirmation(app, world):
    client = client_for(app, world["owner"].user)
    response = client.post("/admin/privacy/erase", data={"email": EMAIL})
    assert response.status_code == 422
    assert "Cochez la case pour confirmer l'effacement." in field_error(text(response), "confirm")
    assert fresh(world["at_coming"].id).anonymised_at is None


def test_erasure_anonymises_the_organisation_s_registrations_and_keeps_the_figures(app, world):
    client = client_for(app, world["owner"].user)
    response = client.post("/admin/privacy/erase", data={"email": EMAIL, "confirm": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/privacy/"
    assert "Les données personnelles de 2 inscriptions ont été effacées" in text(
        client.get("/admin/privacy/")
    )
    past, coming = fresh(world["at_past"].id), fresh(world["at_coming"].id)
    for registration in (past, coming):
        assert registration.anonymised_at is not None
        assert registration.first_name == "" and registration.email != EMAIL and registration.phone is None
        assert registration.answers == []
    assert past.seats == 2 and past.status == RegistrationStatus.CONFIRMED  # still counts
    assert coming.status == RegistrationStatus.CANCELLED  # will not come
    # The check-in of the past event still counts.
    assert db.session.scalar(sa.select(sa.func.sum(CheckIn.seats))) == 2
    # Another organisation's registration of the same address is not ours to erase.
    elsewhere = fresh(world["elsewhere"].id)
    assert elsewhere.anonymised_at is None and elsewhere.email == EMAIL
    assert fresh(world["someone_else"].id).anonymised_at is None
    # The confirmation not sent yet will not be, and forgets the address.
    confirmation = db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.registration_id == coming.id, OutboxMessage.email_kind == EmailKind.CONFIRMATION
        )
    )
    assert confirmation.status == OutboxStatus.FAILED and confirmation.recipient is None
    # Searching again finds nothing left.
    again = client.post("/admin/privacy/person", data={"email": EMAIL})
    assert "Aucune inscription à vos événements avec cette adresse" in text(again)


def test_erasure_of_an_unknown_address_erases_nothing(app, world):
    client = client_for(app, world["owner"].user)
    client.post("/admin/privacy/erase", data={"email": "personne@exemple.fr", "confirm": "y"})
    assert "Aucune donnée à effacer pour cette adresse" in text(client.get("/admin/privacy/"))
    assert db.session.scalar(sa.select(sa.func.count()).where(Registration.anonymised_at.is_not(None))) == 0


@pytest.mark.parametrize("role", [Role.EDITOR, Role.CHECKIN])
def test_only_owners_handle_personal_data_requests(app, world, role):
    member = make_member(world["club"], role)
    db.session.commit()
    client = client_for(app, member.user)
    assert client.get("/admin/privacy/").status_code == 403
    response = client.post("/admin/privacy/erase", data={"email": EMAIL, "confirm": "y"})
    assert response.status_code == 403
    assert fresh(world["at_coming"].id).anonymised_at is None


# --- Retention -------------------------------------------------------------------------


def test_the_owner_chooses_a_shorter_retention_never_a_longer_one(app, world):
    client = client_for(app, world["owner"].user)
    assert '<option selected value="12">' in text(client.get("/admin/privacy/"))
    response = client.post("/admin/privacy/retention", data={"months": "6"})
    assert response.status_code == 303
    db.session.expire_all()
    assert world["club"].retention_months == 6
    assert "effacées 6 mois après chaque événement" in text(client.get("/admin/privacy/"))
    for value in ("13", "0", "douze", ""):
        response = client.post("/admin/privacy/retention", data={"months": value})
        assert response.status_code == 422, value
        assert "Choisissez une durée" in field_error(text(response), "months"), value
    db.session.expire_all()
    assert world["club"].retention_months == 6


def test_the_database_refuses_a_retention_beyond_the_promise(db_session):
    organisation = OrganisationFactory()
    organisation.retention_months = 13
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def ended_months_ago(organisation, months: int, days: int = 0):
    ends = privacy.months_before(now_utc(), months) - timedelta(days=days)
    return EventFactory(organisation=organisation, starts_at=ends - timedelta(hours=2), ends_at=ends)


def test_the_beat_task_applies_each_organisation_s_retention(db_session):
    short = OrganisationFactory(retention_months=6)
    default = OrganisationFactory()
    erased = RegistrationFactory(event=ended_months_ago(short, 6, days=2), first_name="Six mois")
    kept_short = RegistrationFactory(event=ended_months_ago(short, 5), first_name="Cinq mois")
    kept_default = RegistrationFactory(event=ended_months_ago(default, 7), first_name="Sept mois")
    erased_default = RegistrationFactory(event=ended_months_ago(default, 12, days=2), first_name="Un an")
    assert default.retention_months == 12
    from eventsapp.registrations.tasks import anonymise_old

    assert anonymise_old.run() == 2
    assert erased.anonymised_at is not None and erased_default.anonymised_at is not None
    assert kept_short.first_name == "Cinq mois" and kept_default.first_name == "Sept mois"
    assert privacy.anonymise_old_registrations() == 0


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 5, 31, 8, tzinfo=UTC), 3, datetime(2026, 2, 28, 8, tzinfo=UTC)),
        (datetime(2028, 5, 31, 8, tzinfo=UTC), 3, datetime(2028, 2, 29, 8, tzinfo=UTC)),
        (datetime(2026, 11, 17, 8, tzinfo=UTC), 12, datetime(2025, 11, 17, 8, tzinfo=UTC)),
        (datetime(2026, 1, 15, 8, tzinfo=UTC), 1, datetime(2025, 12, 15, 8, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(moment, months, expected):
    assert privacy.months_before(moment, months) == expected
