"""An event's parts in the back-office (issue 6, point 3): sessions (never
removed once chosen), its own questions (kinds, required, order), reminder
rules (list, add, edit, remove) and the preview of each reminder composed by
the real mailer for a sample person that is never saved."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventsapp.catalog.models import Event, EventQuestion, Session
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.extensions import db, mail
from eventsapp.notifications.models import EmailKind, OutboxMessage
from eventsapp.notifications.service import deliver_email
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.models import Registration, RegistrationAnswer, RegistrationStatus
from eventsapp.registrations.service import PROMOTE_TASK
from eventsapp.reminders.models import DeliveryStatus, ReminderDelivery, ReminderRule
from eventsapp.reminders.service import add_reminder_rule
from tests.accounts_support import client_for, field_error, text
from tests.admin_events_support import make_club, tasks
from tests.factories import EventFactory, RegistrationFactory, SessionFactory

PARIS = ZoneInfo("Europe/Paris")
YEAR = datetime.now().year + 1


@pytest.fixture
def club(db_session):
    return make_club()


@pytest.fixture
def event(club) -> Event:
    organisation = db.session.get(Organisation, club.organisation_id)
    event = EventFactory(
        organisation=organisation,
        title="Journée de l'ESS",
        starts_at=datetime(YEAR, 11, 17, 9, 0, tzinfo=PARIS),
        ends_at=datetime(YEAR, 11, 17, 17, 30, tzinfo=PARIS),
        capacity=250,
        waitlist_enabled=True,
    )
    db.session.commit()
    return event


def event_day(event: Event) -> str:
    from eventsapp.formatting import format_day

    return format_day(event.starts_at, event.timezone)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- Sessions -------------------------------------------------------------------


def session_form(**overrides) -> dict[str, str]:
    data = {"title": "Atelier emploi", "day": f"17/11/{YEAR}", "start_time": "10h", "end_time": "11h30"}
    data.update(overrides)
    return data


def test_add_edit_and_remove_a_session(app, club, event):
    client = client_for(app, club.editor.user)
    path = f"/admin/events/{event.id}/sessions/"
    assert client.post(path, data=session_form(capacity="30", location="Salle B")).status_code == 303
    session = db.session.scalars(sa.select(Session).where(Session.event_id == event.id)).one()
    assert session.starts_at == datetime(YEAR, 11, 17, 10, 0, tzinfo=PARIS)
    assert (session.capacity, session.location) == (30, "Salle B")
    page = text(client.get(f"{path}?session={session.id}"))
    assert 'value="Atelier emploi"' in page and 'value="10:00"' in page
    response = client.post(path, data=session_form(item_id=str(session.id), title="Atelier emploi et ESS"))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Session, session.id).title == "Atelier emploi et ESS"
    assert db.session.get(Session, session.id).capacity is None  # left empty: no limit
    assert [row.payload for row in tasks(PROMOTE_TASK)] == [{"event_id": event.id}]  # seats went up
    assert client.post(f"{path}remove", data={"item_id": str(session.id)}).status_code == 303
    assert count(Session) == 0


def test_moving_a_workshop_tells_those_who_chose_it_once_with_before_and_after(app, club, event):
    compost = SessionFactory(
        event=event,
        title="Compost partagé",
        starts_at=datetime(YEAR, 11, 17, 10, 0, 30, tzinfo=PARIS),  # seconds: a copied event
        ends_at=datetime(YEAR, 11, 17, 11, 0, tzinfo=PARIS),
        location="Salle A",
    )
    finance = SessionFactory(
        event=event, title="Finance solidaire", starts_at=compost.starts_at, ends_at=compost.ends_at
    )
    people = {
        name: RegistrationFactory(event=event, status=status, waitlist_position=position)
        for name, status, position in (
            ("confirmed", RegistrationStatus.CONFIRMED, None),
            ("pending", RegistrationStatus.PENDING, None),
            ("waiting", RegistrationStatus.WAITLISTED, 1),
            ("cancelled", RegistrationStatus.CANCELLED, None),
            ("elsewhere", RegistrationStatus.CONFIRMED, None),
        )
    }
    for name, person in people.items():
        person.sessions.append(finance if name == "elsewhere" else compost)
    db.session.commit()
    sequence = event.sequence
    client = client_for(app, club.editor.user)
    path = f"/admin/events/{event.id}/sessions/"

    # A new title or capacity tells nobody.
    form = session_form(item_id=str(compost.id), title="Compost partagé !", start_time="10h", end_time="11h")
    assert client.post(path, data={**form, "location": "Salle A", "capacity": "30"}).status_code == 303
    assert notices() == [] and db.session.get(Event, event.id).sequence == sequence

    # A new time and room tells those who chose it (pending, confirmed,
    # waiting), once, and the calendars get a new SEQUENCE.
    form = session_form(item_id=str(compost.id), title="Compost partagé", start_time="14h", end_time="15h30")
    response = client.post(path, data={**form, "location": "Salle B"}, follow_redirects=True)
    assert "Les 3 personnes qui l'ont choisi sont prévenues du changement par e-mail." in text(response)
    db.session.expire_all()
    assert db.session.get(Event, event.id).sequence == sequence + 1
    rows = notices()
    assert sorted(row.registration_id for row in rows) == sorted(
        [people["confirmed"].id, people["pending"].id, people["waiting"].id]
    )
    changes = rows[0].payload["changes"]
    day = event_day(event)
    assert changes == [
        {
            "what": "Horaire de l'atelier « Compost partagé »",
            "before": f"{day}, 10 h – 11 h",
            "after": f"{day}, 14 h – 15 h 30",
        },
        {"what": "Salle de l'atelier « Compost partagé »", "before": "Salle A", "after": "Salle B"},
    ]
    with mail.record_messages() as sent:
        for row in rows:
            deliver_email(row.id)
    assert "avant : Salle A" in sent[0].body and f"désormais : {day}, 14 h – 15 h 30" in sent[0].body
    assert sent[0].attachments  # the event's .ics, with the new SEQUENCE

    # The same form again changes nothing, and tells nobody again.
    assert client.post(path, data={**form, "location": "Salle B"}).status_code == 303
    assert len(notices()) == 3


def notices() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.email_kind == EmailKind.EVENT_CHANGED)
            .order_by(OutboxMessage.id)
        )
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Indiquez un titre."),
        ({"day": "32/11/2026"}, "day", "Indiquez une date valable"),
        ({"end_time": "9:30"}, "end_time", "La fin doit être après le début."),
        ({"start_time": "7h"}, "start_time", "Un atelier a lieu pendant l'événement"),
        ({"capacity": "300"}, "capacity", "L'événement n'a que 250 places"),
        ({"capacity": "dix"}, "capacity", "Indiquez un nombre entier en chiffres"),
        ({"day": " "}, "day", "Indiquez la date."),
        ({"start_time": " "}, "start_time", "Indiquez l'heure de début."),
        ({"end_time": " "}, "end_time", "Indiquez l'heure de fin."),
    ],
)
def test_session_form_errors(app, club, event, overrides, field, message):
    response = client_for(app, club.owner.user).post(
        f"/admin/events/{event.id}/sessions/", data=session_form(**overrides)
    )
    assert response.status_code == 422
    assert message in field_error(text(response), field)
    assert count(Session) == 0


def test_a_chosen_session_is_not_removed(app, club, event):
    session = SessionFactory(event=event, starts_at=event.starts_at)
    registration = RegistrationFactory(event=event)
    registration.sessions = [session]
    db.session.commit()
    client = client_for(app, club.owner.user)
    assert "ne peut être supprimé" in text(client.get(f"/admin/events/{event.id}/sessions/"))
    response = client.post(f"/admin/events/{event.id}/sessions/remove", data={"item_id": str(session.id)})
    assert response.status_code == 422
    assert "Des personnes ont choisi" in text(response)
    assert count(Session) == 1


def test_a_session_of_another_event_is_404(app, club, event):
    other = SessionFactory()  # another organisation's event
    db.session.commit()
    client = client_for(app, club.owner.user)
    assert client.get(f"/admin/events/{event.id}/sessions/?session={other.id}").status_code == 404
    response = client.post(
        f"/admin/events/{event.id}/sessions/", data=session_form(item_id=str(other.id), title="Piraté")
    )
    assert response.status_code == 404
    response = client.post(f"/admin/events/{event.id}/sessions/remove", data={"item_id": str(other.id)})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Session, other.id).title != "Piraté"


# --- Questions -------------------------------------------------------------------


def questions_of(event_id: int) -> list[EventQuestion]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(EventQuestion)
            .where(EventQuestion.event_id == event_id)
            .order_by(EventQuestion.position)
        )
    )


def test_questions_of_every_kind_in_order(app, club, event):
    client = client_for(app, club.editor.user)
    path = f"/admin/events/{event.id}/questions/"
    for data in (
        {"label": "Régime alimentaire", "kind": "text"},
        {
            "label": "Atelier préféré",
            "kind": "single-choice",
            "choices": "Emploi\nHabitat\n\nEmploi",
            "required": "y",
        },
        {"label": "Thèmes", "kind": "multiple-choice", "choices": "Climat\nSanté"},
        {"label": "Repas sur place ?", "kind": "yes-no", "choices": "ignoré"},
    ):
        assert client.post(path, data=data).status_code == 303, data
    questions = questions_of(event.id)
    assert [(q.label, q.kind, q.required) for q in questions] == [
        ("Régime alimentaire", QuestionKind.TEXT, False),
        ("Atelier préféré", QuestionKind.SINGLE_CHOICE, True),
        ("Thèmes", QuestionKind.MULTIPLE_CHOICE, False),
        ("Repas sur place ?", QuestionKind.YES_NO, False),
    ]
    assert questions[1].choices == ["Emploi", "Habitat"] and questions[3].choices == []
    # Move the last one up, then the first one down.
    client.post(f"{path}move", data={"item_id": str(questions[3].id), "direction": "up"})
    client.post(f"{path}move", data={"item_id": str(questions[0].id), "direction": "down"})
    assert [q.label for q in questions_of(event.id)] == [
        "Atelier préféré",
        "Régime alimentaire",
        "Repas sur place ?",
        "Thèmes",
    ]
    # The public sign-up form asks them, in that order.
    form = text(client_for(app, None).get(f"/events/{event.slug}/register"))
    assert form.index("Atelier préféré") < form.index("Régime alimentaire") < form.index("Repas sur place")


def test_question_errors(app, club, event):
    client = client_for(app, club.owner.user)
    path = f"/admin/events/{event.id}/questions/"
    response = client.post(path, data={"label": "", "kind": "text"})
    assert response.status_code == 422 and field_error(text(response), "label").endswith(
        "Écrivez la question."
    )
    response = client.post(path, data={"label": "Atelier ?", "kind": "single-choice", "choices": "Un seul"})
    assert response.status_code == 422
    assert "Proposez au moins deux réponses" in field_error(text(response), "choices")
    response = client.post(path, data={"label": "Atelier ?", "kind": "dessin"})
    assert "Choisissez parmi les types proposés." in field_error(text(response), "kind")
    assert count(EventQuestion) == 0


def test_an_answered_question_keeps_its_kind_its_chosen_answers_and_its_place(app, club, event):
    question = EventQuestion(
        event_id=event.id, label="Atelier ?", kind=QuestionKind.SINGLE_CHOICE, choices=["Emploi", "Habitat"]
    )
    db.session.add(question)
    registration = RegistrationFactory(event=event)
    db.session.flush()
    db.session.add(
        RegistrationAnswer(registration_id=registration.id, question_id=question.id, value="Emploi")
    )
    db.session.commit()
    client = client_for(app, club.owner.user)
    path = f"/admin/events/{event.id}/questions/"
    base = {"item_id": str(question.id), "label": "Atelier choisi ?"}
    response = client.post(path, data={**base, "kind": "text"})
    assert "le type de question ne peut plus changer" in field_error(text(response), "kind")
    response = client.post(path, data={**base, "kind": "single-choice", "choices": "Habitat\nClimat"})
    assert "Des personnes ont répondu « Emploi »" in field_error(text(response), "choices")
    response = client.post(path, data={**base, "kind": "single-choice", "choices": "Emploi\nHabitat\nClimat"})
    assert response.status_code == 303
    assert questions_of(event.id)[0].choices == ["Emploi", "Habitat", "Climat"]
    response = client.post(f"{path}remove", data={"item_id": str(question.id)})
    assert response.status_code == 422 and "ne peut plus être supprimée" in text(response)
    assert count(EventQuestion) == 1


# --- Reminder rules --------------------------------------------------------------


def rules_of(event_id: int) -> list[ReminderRule]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ReminderRule).where(ReminderRule.event_id == event_id)))


def test_add_a_rule_then_see_its_preview(app, club, event):
    client = client_for(app, club.editor.user)
    path = f"/admin/events/{event.id}/reminders/"
    page = text(client.get(path))
    assert "{prenom}" in page and "Ajouter un rappel" in page
    response = client.post(
        path,
        data={
            "anchor": "before-start",
            "days": "2",
            "hours": "0",
            "minutes": "0",
            "at_time": "8h",
            "audience": "confirmed",
            "subject": "J-2 : {evenement}",
            "body": "Bonjour {prenom}, rendez-vous le {date} à {lieu}. Votre page : {lien}",
            "active": "y",
        },
    )
    assert response.status_code == 303
    (rule,) = rules_of(event.id)
    assert rule.due_at == datetime(YEAR, 11, 15, 8, 0, tzinfo=PARIS) and rule.local_time == time(8, 0)
    assert response.headers["Location"] == f"/admin/events/{event.id}/reminders/preview?rule={rule.id}"
    before = (count(Registration), count(OutboxMessage))
    preview = client.get(response.headers["Location"])
    html = text(preview)
    assert preview.status_code == 200
    assert "J-2 : Journée de l'ESS" in html
    assert f"Bonjour Camille, rendez-vous le {event_day(event)}" in html
    assert "Cinéma Le Vox" in html  # {lieu}
    assert 'sandbox="' in html and "srcdoc=" in html and "allow-scripts" not in html
    assert "/registrations/" in html  # {lien}: a sample link
    assert (count(Registration), count(OutboxMessage)) == before  # nothing stored, nothing sent


def test_rule_errors_are_beside_their_field(app, club, event):
    client = client_for(app, club.owner.user)
    base = {"anchor": "before-start", "days": "1", "hours": "0", "minutes": "0", "audience": "confirmed"}
    path = f"/admin/events/{event.id}/reminders/"
    response = client.post(path, data={**base, "subject": "Rappel {prénom}", "body": "Texte"})
    assert response.status_code == 422
    assert "Champ inconnu : {prénom}" in field_error(text(response), "subject")
    response = client.post(path, data={**base, "subject": "Merci", "body": "Votre avis : {questionnaire}"})
    assert "Indiquez l'adresse du questionnaire" in field_error(text(response), "survey_url")
    response = client.post(
        path, data={**base, "hours": "3", "at_time": "9h", "subject": "Rappel", "body": "Texte"}
    )
    assert "Avec une heure fixe" in field_error(text(response), "days")
    response = client.post(path, data={**base, "days": "-1", "subject": "Rappel", "body": "Texte"})
    assert "Indiquez un nombre entre 0 et 365." in field_error(text(response), "days")
    response = client.post(path, data={**base, "subject": "", "body": ""})
    html = text(response)
    assert field_error(html, "subject").endswith("Écrivez l'objet de l'e-mail.")
    assert field_error(html, "body").endswith("Écrivez le texte de l'e-mail.")
    assert rules_of(event.id) == []


def test_editing_a_handled_rule_to_a_later_time_sends_it_again(app, club, event):
    rule = add_reminder_rule(event, days=7, local_time=time(9, 0))
    rule.handled_generation = rule.generation  # already scanned
    registration = RegistrationFactory(event=event)
    db.session.flush()
    db.session.add(
        ReminderDelivery(
            rule_id=rule.id, registration_id=registration.id, generation=rule.generation, due_at=rule.due_at
        )
    )
    db.session.commit()
    client = client_for(app, club.owner.user)
    page = text(client.get(f"/admin/events/{event.id}/reminders/?rule={rule.id}"))
    assert 'value="7"' in page and 'value="09:00"' in page
    data = {
        "item_id": str(rule.id),
        "anchor": "before-start",
        "days": "1",
        "hours": "0",
        "minutes": "0",
        "at_time": "9:00",
        "audience": "confirmed",
        "subject": "C'est demain : {evenement}",
        "body": rule.body,
        "active": "y",
    }
    assert client.post(f"/admin/events/{event.id}/reminders/", data=data).status_code == 303
    (rule,) = rules_of(event.id)
    assert rule.due_at == datetime(YEAR, 11, 16, 9, 0, tzinfo=PARIS)
    assert not rule.is_handled and rule.subject == "C'est demain : {evenement}"
    delivery = db.session.scalars(sa.select(ReminderDelivery)).one()
    assert delivery.status == DeliveryStatus.SKIPPED  # the old time's delivery is void
    # A rule that reached someone is kept (deactivate it instead).
    response = client.post(f"/admin/events/{event.id}/reminders/remove", data={"item_id": str(rule.id)})
    assert response.status_code == 422 and "Décochez « actif »" in text(response)
    assert len(rules_of(event.id)) == 1


def test_remove_a_rule_that_reached_nobody(app, club, event):
    rule = add_reminder_rule(event, days=3)
    db.session.commit()
    client = client_for(app, club.owner.user)
    assert (
        client.post(f"/admin/events/{event.id}/reminders/remove", data={"item_id": str(rule.id)}).status_code
        == 303
    )
    assert rules_of(event.id) == []


def test_the_preview_of_a_waiting_list_rule_and_of_another_event_s_rule(app, club, event):
    mine = add_reminder_rule(
        event, days=1, audience="waitlisted", subject="Toujours en attente", body="{prenom}"
    )
    other_event = EventFactory()
    theirs = add_reminder_rule(other_event, days=1, subject="Secret d'ailleurs", body="x")
    db.session.commit()
    client = client_for(app, club.owner.user)
    html = text(client.get(f"/admin/events/{event.id}/reminders/preview?rule={mine.id}"))
    assert "Toujours en attente" in html and "Liste d'attente" in html
    response = client.get(f"/admin/events/{event.id}/reminders/preview?rule={theirs.id}")
    assert response.status_code == 404 and "Secret d'ailleurs" not in text(response)
    response = client.post(f"/admin/events/{event.id}/reminders/remove", data={"item_id": str(theirs.id)})
    assert response.status_code == 404
    assert db.session.get(ReminderRule, theirs.id) is not None


def test_parts_of_a_cancelled_event_are_read_only(app, club, event):
    from eventsapp.catalog.service import cancel_event

    cancel_event(event, "Annulé")
    db.session.commit()
    client = client_for(app, club.owner.user)
    assert "Ajouter un atelier" not in text(client.get(f"/admin/events/{event.id}/sessions/"))
    response = client.post(f"/admin/events/{event.id}/sessions/", data=session_form())
    assert response.status_code == 422 and "Un événement annulé ne se modifie plus." in text(response)
    assert count(Session) == 0
