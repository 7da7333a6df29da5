"""Messages from organisers to an event's registrants (issue 6, point 5):
recipients chosen with the registrants' filter, a preview through the real
mailer, sending through the outbox in one transaction, the history with
each message's delivery figures, nothing of another organisation."""

from __future__ import annotations

import html as html_module
import re

import pytest
import sqlalchemy as sa

from eventsapp.accounts.models import Role
from eventsapp.admin import messages_service
from eventsapp.admin.messages_models import OrganiserMessage
from eventsapp.admin.registrants_filters import RegistrantFilters
from eventsapp.checkin.models import CheckIn
from eventsapp.extensions import db, mail
from eventsapp.notifications.models import EmailKind, OutboxMessage, OutboxStatus
from eventsapp.notifications.service import DeliveryOutcome, deliver_email
from eventsapp.registrations.models import RegistrationStatus
from tests.accounts_support import client_for, field_error, make_member, text
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory, SessionFactory

R = RegistrationStatus


@pytest.fixture
def club(db_session):
    organisation = OrganisationFactory(name="Club ESS de la Sarthe")
    editor = make_member(organisation, Role.EDITOR, full_name="Éric Éditeur")
    event = EventFactory(organisation=organisation, title="Ciné-débat « Demain »", venue_name="Cinéma Le Vox")
    people = {
        "venue": RegistrationFactory(
            event=event, first_name="Anne", last_name="Venue", email="anne@exemple.fr"
        ),
        "absent": RegistrationFactory(
            event=event, first_name="Bruno", last_name="Absent", email="bruno@exemple.fr"
        ),
        "absente": RegistrationFactory(
            event=event, first_name="Chloé", last_name="Absente", email="chloe@exemple.fr"
        ),
        "attente": RegistrationFactory(
            event=event,
            first_name="Dan",
            last_name="Attente",
            email="dan@exemple.fr",
            status=R.WAITLISTED,
            waitlist_position=1,
        ),
        "annule": RegistrationFactory(
            event=event, first_name="Eve", last_name="Annulée", email="eve@exemple.fr", status=R.CANCELLED
        ),
    }
    db.session.add(CheckIn(event_id=event.id, registration_id=people["venue"].id))
    db.session.commit()
    return event, editor, people


def url(event, path: str = "") -> str:
    return f"/admin/events/{event.id}/messages/{path}"


def hidden(html: str, name: str) -> str:
    match = re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, name
    return html_module.unescape(match.group(1))


def message_data(**overrides) -> dict:
    data = {
        "status": "confirmed",
        "checked": "no",
        "category": "",
        "subject": "Vous nous avez manqué, {prenom}",
        "body": (
            "Bonjour {prenom} {nom},\n\nLe film « {evenement} » reviendra bientôt.\n\nVotre page : {lien}"
        ),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def preview_then_send(client, event, **overrides):
    data = message_data(**overrides)
    page = text(client.post(url(event, "new"), data={**data, "action": "preview"}))
    data.update(send_key=hidden(page, "send_key"), digest=hidden(page, "digest"), action="send")
    return client.post(url(event, "new"), data=data), data


def organiser_rows() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.email_kind == EmailKind.ORGANISER_MESSAGE)
            .order_by(OutboxMessage.id)
        )
    )


def test_a_message_to_those_who_did_not_come_reaches_exactly_them(app, club):
    event, editor, people = club
    client = client_for(app, editor.user)
    response, _data = preview_then_send(client, event)
    assert response.status_code == 303
    [message] = db.session.scalars(sa.select(OrganiserMessage)).all()
    assert response.headers["Location"].endswith(url(event, f"view?message={message.id}"))
    rows = organiser_rows()
    assert sorted(row.recipient for row in rows) == ["bruno@exemple.fr", "chloe@exemple.fr"]
    assert {row.registration_id for row in rows} == {people["absent"].id, people["absente"].id}
    assert all(row.payload == {"message_id": message.id} for row in rows)
    assert all(row.status == OutboxStatus.PENDING for row in rows)
    assert message.recipients_count == 2 and message.author_id == editor.user_id
    assert message.audience == "Confirmée · non pointé·es"
    assert message.filters == {"status": "confirmed", "checked": "no"}
    # Sent by the real mailer: placeholders filled for each person.
    with mail.record_messages() as outbox:
        for row in rows:
            assert deliver_email(row.id) == DeliveryOutcome.SENT
    by_address = {sent.recipients[0]: sent for sent in outbox}
    chloe = by_address["chloe@exemple.fr"]
    assert chloe.subject == "Vous nous avez manqué, Chloé"
    assert (
        "Bonjour Chloé Absente," in chloe.body and "Le film « Ciné-débat « Demain » » reviendra" in chloe.body
    )
    assert "/registrations/" in chloe.body and "{lien}" not in chloe.body
    assert "Le film « Ciné-débat « Demain » » reviendra bientôt." in chloe.html


def test_the_preview_is_the_real_email_for_one_recipient_and_writes_nothing(app, club):
    event, editor, _people = club
    client = client_for(app, editor.user)
    before = (len(organiser_rows()), db.session.scalar(sa.select(sa.func.count(OrganiserMessage.id))))
    response = client.post(url(event, "new"), data={**message_data(), "action": "preview"})
    html = text(response)
    assert response.status_code == 200
    assert "2 destinataires" in html and "Envoyer à 2 personnes" in html
    assert "aperçu de l'e-mail que recevra Bruno Absent" in html  # first by last name
    assert '<dd id="apercu-objet">Vous nous avez manqué, Bruno</dd>' in html
    assert "Bonjour Bruno Absent," in html
    assert "/registrations/lien-personnel" in html  # the person's own link is not shown
    assert (len(organiser_rows()), db.session.scalar(sa.select(sa.func.count(OrganiserMessage.id)))) == before


def test_a_text_changed_after_the_preview_is_previewed_again_not_sent(app, club):
    event, editor, _people = club
    client = client_for(app, editor.user)
    data = message_data()
    page = text(client.post(url(event, "new"), data={**data, "action": "preview"}))
    data.update(send_key=hidden(page, "send_key"), digest=hidden(page, "digest"), action="send")
    response = client.post(url(event, "new"), data={**data, "body": "Autre chose, {prenom}."})
    assert response.status_code == 200
    assert "ont changé depuis l'aperçu" in text(response) and "Autre chose, Bruno." in text(response)
    response = client.post(url(event, "new"), data={**data, "checked": ""})  # more people now
    assert "ont changé depuis l'aperçu" in text(response)
    assert organiser_rows() == []


def test_sending_twice_the_same_confirmation_sends_once(app, club):
    event, editor, _people = club
    client = client_for(app, editor.user)
    first, data = preview_then_send(client, event)
    second = client.post(url(event, "new"), data=data)
    assert second.status_code == 303 and second.headers["Location"] == first.headers["Location"]
    assert len(organiser_rows()) == 2
    assert db.session.scalar(sa.select(sa.func.count(OrganiserMessage.id))) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"body": "Bonjour {prénom}"}, "body", "Champ inconnu : {prénom}."),
        ({"subject": "Rappel {evenement"}, "subject", "Une accolade n'est pas fermée"),
        ({"body": "Merci : {questionnaire}"}, "body", "Champ inconnu : {questionnaire}."),
        ({"subject": ""}, "subject", "Indiquez l'objet du message."),
        ({"status": "cancelled", "checked": "yes"}, "status", "Personne ne correspond à ce choix"),
        ({"status": "vip"}, "status", "Choisissez parmi les réponses proposées."),
    ],
)
def test_a_message_to_correct_is_refused_in_french(app, club, overrides, field, message):
    event, editor, _people = club
    client = client_for(app, editor.user)
    for action in ("preview", "send"):
        response = client.post(url(event, "new"), data={**message_data(**overrides), "action": action})
        assert response.status_code == 422, action
        assert message in field_error(text(response), field), action
    assert organiser_rows() == []


def test_the_waitlisted_and_one_session(app, db_session):
    organisation = OrganisationFactory()
    editor = make_member(organisation, Role.EDITOR)
    event = EventFactory(organisation=organisation)
    atelier, other = SessionFactory(event=event), SessionFactory(event=event)
    inside = RegistrationFactory(event=event, email="in@exemple.fr")
    inside.sessions = [atelier]
    RegistrationFactory(event=event, email="out@exemple.fr").sessions = [other]
    RegistrationFactory(event=event, email="wait@exemple.fr", status=R.WAITLISTED, waitlist_position=1)
    db.session.commit()
    client = client_for(app, editor.user)
    preview_then_send(client, event, status="waitlisted", checked="")
    preview_then_send(client, event, status="active", checked="", session=str(atelier.id))
    assert [row.recipient for row in organiser_rows()] == ["wait@exemple.fr", "in@exemple.fr"]


def test_one_email_per_address_and_none_to_erased_people(db_session, club):
    event, _editor, people = club
    RegistrationFactory(event=event, first_name="Eve", last_name="Annulée", email="eve@exemple.fr")
    erased = RegistrationFactory(event=event, email="anonyme-x@invalid")
    from datetime import UTC, datetime

    erased.anonymised_at = datetime.now(UTC)
    db.session.flush()
    people_found = messages_service.recipients(event.id, RegistrantFilters())
    emails = [registration.email for registration in people_found]
    assert sorted(emails) == sorted(
        ["anne@exemple.fr", "bruno@exemple.fr", "chloe@exemple.fr", "dan@exemple.fr", "eve@exemple.fr"]
    )
    eve = next(r for r in people_found if r.email == "eve@exemple.fr")
    assert eve.status == R.CONFIRMED  # the active one, not the cancelled one


def test_the_history_shows_who_sent_what_to_how_many_and_how_it_goes(app, club):
    event, editor, _people = club
    client = client_for(app, editor.user)
    preview_then_send(client, event, subject="Premier message")
    first_rows = organiser_rows()
    preview_then_send(client, event, subject="Deuxième message", status="active", checked="")
    html = text(client.get(url(event)))
    assert '<meta http-equiv="refresh" content="5">' in html  # e-mails on their way
    assert html.index("Deuxième message") < html.index("Premier message")
    first = html.split("Premier message")[1].split("</tr>")[0]
    assert "Éric Éditeur" in first and "2 personnes" in first and "Confirmée · non pointé·es" in first
    assert "0 envoyé(s), 2 en attente, 0 en échec" in first
    second = html.split("Deuxième message")[1].split("</tr>")[0]
    assert "4 personnes" in second and "0 envoyé(s), 4 en attente, 0 en échec" in second
    # Delivery goes on: one sent, one failed.
    first_rows[0].status = OutboxStatus.SENT
    first_rows[1].status = OutboxStatus.FAILED
    first_rows[1].last_error = "SMTPRecipientsRefused: 550"
    db.session.commit()
    html = text(client.get(url(event)))
    first = html.split("Premier message")[1].split("</tr>")[0]
    assert "1 envoyé(s), 0 en attente, 1 en échec" in first
    assert re.search(r'<progress id="progression-\d+" max="2" value="2">', first)
    message_id = first_rows[0].payload["message_id"]
    detail = text(client.get(url(event, f"view?message={message_id}")))
    assert "SMTPRecipientsRefused: 550" in detail and "Absente Chloé" in detail
    assert '<meta http-equiv="refresh"' not in detail  # this one is done
    for row in organiser_rows():
        row.status = OutboxStatus.SENT
    db.session.commit()
    assert '<meta http-equiv="refresh"' not in text(client.get(url(event)))


def test_the_history_counts_in_one_query(app, club, count_queries):
    event, editor, _people = club
    client = client_for(app, editor.user)
    for number in range(3):
        preview_then_send(client, event, subject=f"Message {number}")
    with count_queries() as counter:
        counts = messages_service.delivery_counts(event.id)
    assert counter.count == 1
    assert sorted(delivery.pending for delivery in counts.values()) == [2, 2, 2]


def test_nothing_of_another_organisation(app, club):
    event, editor, _people = club
    other_event = EventFactory(title="Ailleurs")
    other_editor = make_member(other_event.organisation, Role.EDITOR)
    RegistrationFactory(event=other_event, email="ailleurs@exemple.fr")
    db.session.commit()
    preview_then_send(client_for(app, other_editor.user), other_event, checked="")
    [foreign] = db.session.scalars(sa.select(OrganiserMessage)).all()
    client = client_for(app, editor.user)
    assert client.get(url(event, f"view?message={foreign.id}")).status_code == 404
    response = client.get(url(other_event))
    assert response.status_code == 404 and "ailleurs@exemple.fr" not in text(response)
    response = client.post(url(other_event, "new"), data={**message_data(), "action": "preview"})
    assert response.status_code == 404
    assert "ailleurs@exemple.fr" not in text(client.get(url(event)))
    staff = make_member(event.organisation, Role.CHECKIN)
    db.session.commit()
    assert client_for(app, staff.user).get(url(event)).status_code == 403


def test_the_list_s_filter_comes_along_to_a_new_message(app, club):
    event, editor, _people = club
    client = client_for(app, editor.user)
    listing = text(client.get(f"/admin/events/{event.id}/registrants/?status=waitlisted&checked=no&q=dan"))
    link = re.search(r'href="([^"]*/messages/new[^"]*)">Écrire aux personnes affichées', listing)
    assert link and "q=" not in link.group(1)  # a message goes to a filter, not to a search
    page = text(client.get(html_module.unescape(link.group(1))))
    assert '<option selected value="waitlisted">' in page
    assert '<option selected value="no">' in page
    default = text(client.get(url(event, "new")))
    assert '<option selected value="active">' in default
