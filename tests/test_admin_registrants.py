"""The registrants of an event in the back-office (issue 6, point 4): the
list (search, filters, counts, pages), one person's page and e-mails, a
registration added by hand, changed, cancelled, moved from the waiting
list, a confirmation sent again; nothing of another organisation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsapp.accounts.models import Role
from eventsapp.admin import registrants_service
from eventsapp.catalog.models import EventQuestion
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.checkin.models import CheckIn
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind, OutboxMessage, OutboxStatus
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus
from eventsapp.registrations.service import EventFull, SignUpRequest
from tests.accounts_support import client_for, field_error, make_member, text
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory, SessionFactory

R = RegistrationStatus


@pytest.fixture
def club(db_session):
    organisation = OrganisationFactory(name="Club ESS de la Sarthe")
    owner = make_member(organisation, Role.OWNER, full_name="Anne Responsable")
    db.session.commit()
    return organisation, owner


@pytest.fixture
def owner_client(app, club):
    return client_for(app, club[1].user)


def url(event, path: str = "") -> str:
    return f"/admin/events/{event.id}/registrants/{path}"


def names(html: str) -> list[str]:
    """The people listed on the registrants page, in order ("Nom Prénom")."""
    table = html.split('<table class="admin-table">')[-1]
    return [
        " ".join(name.split())
        for name in re.findall(r'registrants/person\?registration=\d+">([^<]+)</a>', table)
    ]


def outbox(registration_id: int) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.registration_id == registration_id)
            .order_by(OutboxMessage.id)
        )
    )


def person(event, first: str, last: str, **fields) -> Registration:
    return RegistrationFactory(
        event=event, first_name=first, last_name=last, email=f"{first}.{last}@exemple.fr".lower(), **fields
    )


# --- The list -------------------------------------------------------------------


@pytest.fixture
def journee(club):
    organisation, _owner = club
    event = EventFactory(organisation=organisation, title="Journée de l'ESS", capacity=20)
    atelier = SessionFactory(event=event, title="Atelier emploi", capacity=None)
    people = {
        "elodie": person(event, "Élodie", "Lefèvre", structure="Coopérative Ôkara", seats=2),
        "jean": person(event, "Jean", "Dupont", category=ParticipantCategory.ELU),
        "zoe": person(event, "Zoé", "Martin", status=R.WAITLISTED, waitlist_position=1, seats=3),
        "paul": person(event, "Paul", "Abadie", status=R.CANCELLED),
        "ines": person(event, "Inès", "Bérard", status=R.PENDING),
    }
    people["elodie"].sessions = [atelier]
    people["zoe"].sessions = [atelier]
    db.session.add(CheckIn(event_id=event.id, registration_id=people["jean"].id))
    other = EventFactory(organisation=organisation, title="Autre événement")
    person(other, "Élodie", "Lefèvre-Autre")
    db.session.commit()
    event.test_atelier = atelier
    return event, people


def test_the_list_is_sorted_by_last_name_and_shows_the_counts(owner_client, journee):
    event, _people = journee
    response = owner_client.get(url(event))
    html = text(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert names(html) == [
        "Abadie Paul",
        "Bérard Inès",
        "Dupont Jean",
        "Lefèvre Élodie",
        "Martin Zoé",
    ]
    assert "Lefèvre-Autre" not in html  # another event
    figures = dict(re.findall(r'<strong id="compte-([a-z-]+)">([^<]+)</strong>', html))
    assert figures == {
        "confirmees": "3 / 20",  # Élodie 2 + Jean 1
        "en-attente": "1",
        "liste-attente": "3",
        "annulees": "1",
        "pointees": "1",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=lefevre", ["Lefèvre Élodie"]),
        ("q=ELODIE", ["Lefèvre Élodie"]),
        ("q=okara", ["Lefèvre Élodie"]),  # structure
        ("q=coop%C3%A9rative+%C3%B4kara", ["Lefèvre Élodie"]),
        ("q=jean.dupont%40exemple", ["Dupont Jean"]),  # e-mail
        ("q=berard+ines", ["Bérard Inès"]),
        ("q=dupont+zoe", []),
        ("status=waitlisted", ["Martin Zoé"]),
        ("status=active", ["Bérard Inès", "Dupont Jean", "Lefèvre Élodie", "Martin Zoé"]),
        ("category=elu", ["Dupont Jean"]),
        ("checked=yes", ["Dupont Jean"]),
        ("checked=no&status=confirmed", ["Lefèvre Élodie"]),
        ("session={atelier}", ["Lefèvre Élodie", "Martin Zoé"]),
        ("session={atelier}&status=confirmed", ["Lefèvre Élodie"]),
    ],
)
def test_search_and_filters(owner_client, journee, query, expected):
    event, _people = journee
    html = text(owner_client.get(url(event, "?" + query.format(atelier=event.test_atelier.id))))
    assert names(html) == expected


def test_a_filter_value_that_makes_no_sense_is_ignored_with_a_french_message(owner_client, journee):
    event, _people = journee
    response = owner_client.get(url(event, "?status=vip&session=999999&checked=peut-etre"))
    html = text(response)
    assert response.status_code == 200
    assert len(names(html)) == 5
    assert field_error(html, "f-status") == "Statut inconnu : filtre ignoré."
    assert "Cet atelier n'appartient pas à l'événement" in field_error(html, "f-session")


def test_the_list_has_pages_of_fifty(owner_client, club):
    event = EventFactory(organisation=club[0], capacity=None)
    for number in range(57):
        person(event, "Camille", f"Nom{number:02d}")
    db.session.commit()
    first = names(text(owner_client.get(url(event))))
    second = names(text(owner_client.get(url(event, "?page=2"))))
    assert len(first) == 50 and len(second) == 7
    assert first[0] == "Nom00 Camille" and second[-1] == "Nom56 Camille"
    assert "57 inscriptions" in text(owner_client.get(url(event, "?page=2")))


def test_the_failed_emails_are_counted_and_listed(owner_client, journee):
    event, people = journee
    db.session.add(
        OutboxMessage(
            kind="email",
            email_kind=EmailKind.CONFIRMATION,
            registration_id=people["jean"].id,
            recipient=people["jean"].email,
            idempotency_key="test:failed:1",
            status=OutboxStatus.FAILED,
            attempts=1,
            last_error="SMTPRecipientsRefused: 550 boîte inconnue",
        )
    )
    db.session.commit()
    html = text(owner_client.get(url(event)))
    assert "1 e-mail n'a pas pu être remis" in html
    assert "550 boîte inconnue" in html


# --- One person -------------------------------------------------------------------


def test_the_person_page_shows_answers_and_emails_with_their_state(owner_client, journee):
    event, people = journee
    question = EventQuestion(event=event, label="Repas", kind=QuestionKind.YES_NO, position=1)
    db.session.add(question)
    db.session.flush()
    jean = people["jean"]
    from eventsapp.registrations.models import RegistrationAnswer

    db.session.add(RegistrationAnswer(registration_id=jean.id, question_id=question.id, value=True))
    db.session.add(
        OutboxMessage(
            kind="email",
            email_kind=EmailKind.CONFIRMATION,
            registration_id=jean.id,
            recipient=jean.email,
            idempotency_key="test:retrying:1",
            status=OutboxStatus.DISPATCHED,
            attempts=3,
            last_error="SMTPServerDisconnected: gone",
        )
    )
    db.session.commit()
    html = text(owner_client.get(url(event, f"person?registration={jean.id}")))
    assert "jean.dupont@exemple.fr" in html
    assert "<dt>Repas</dt><dd>Oui</dd>" in html
    row = html.split("Confirmation d'inscription")[1].split("</tr>")[0]
    assert "Transmis" in row and ">3<" in row and "SMTPServerDisconnected: gone" in row


def test_a_person_page_without_a_person_goes_back_to_the_list(owner_client, journee):
    event, _people = journee
    response = owner_client.get(url(event, "person"))
    assert response.status_code == 303 and response.headers["Location"].endswith(url(event))


def test_another_event_s_registration_is_not_reachable(app, owner_client, journee, club):
    event, _people = journee
    foreign_event = EventFactory(title="Ailleurs")
    foreign = person(foreign_event, "Secret", "Ailleurs")
    own_other_event = person(EventFactory(organisation=club[0]), "Autre", "Événement")
    db.session.commit()
    for registration in (foreign, own_other_event):
        assert owner_client.get(url(event, f"person?registration={registration.id}")).status_code == 404
        for action in ("cancel", "promote", "resend", "change"):
            before = outbox(registration.id)
            response = owner_client.post(url(event, f"{action}?registration={registration.id}"))
            assert response.status_code == 404, action
            assert outbox(registration.id) == before
    assert db.session.get(Registration, foreign.id).status == R.CONFIRMED
    # The other organisation's event itself: 404, its people never shown.
    response = owner_client.get(url(foreign_event))
    assert response.status_code == 404 and "Secret" not in text(response)
    outsider = make_member(foreign_event.organisation, Role.OWNER)
    db.session.commit()
    response = client_for(app, outsider.user).get(url(event, f"person?registration={foreign.id}"))
    assert response.status_code == 404


def test_resend_writes_a_new_email_each_time(owner_client, journee):
    event, people = journee
    elodie = people["elodie"]
    for _ in range(2):
        response = owner_client.post(url(event, f"resend?registration={elodie.id}"))
        assert response.status_code == 303
    rows = outbox(elodie.id)
    assert [row.email_kind for row in rows] == [EmailKind.CONFIRMATION, EmailKind.CONFIRMATION]
    assert len({row.idempotency_key for row in rows}) == 2
    waitlisted = people["zoe"]
    owner_client.post(url(event, f"resend?registration={waitlisted.id}"))
    assert [row.email_kind for row in outbox(waitlisted.id)] == [EmailKind.WAITLISTED]
    cancelled = people["paul"]
    response = owner_client.post(url(event, f"resend?registration={cancelled.id}"), follow_redirects=True)
    assert "Cette inscription n'est plus active" in text(response)
    assert outbox(cancelled.id) == []


def test_cancel_for_a_person(owner_client, journee):
    event, people = journee
    jean = people["jean"]
    response = owner_client.post(url(event, f"cancel?registration={jean.id}"), follow_redirects=True)
    assert "Inscription annulée" in text(response)
    assert db.session.get(Registration, jean.id).status == R.CANCELLED
    assert [row.email_kind for row in outbox(jean.id)] == [EmailKind.CANCELLED]


def test_change_seats_follows_the_rules(owner_client, club):
    event = EventFactory(organisation=club[0], capacity=4, max_seats_per_registration=5)
    first = person(event, "Anna", "Première", seats=2)
    person(event, "Bruno", "Second", seats=2)
    db.session.commit()
    response = owner_client.post(url(event, f"change?registration={first.id}"), data={"seats": "3"})
    assert response.status_code == 422
    assert "pas assez de places" in field_error(text(response), "seats")
    assert db.session.get(Registration, first.id).seats == 2
    response = owner_client.post(url(event, f"change?registration={first.id}"), data={"seats": "1"})
    assert response.status_code == 303
    assert db.session.get(Registration, first.id).seats == 1


# --- Moving someone from the waiting list ----------------------------------------


@pytest.fixture
def full_event(club):
    event = EventFactory(
        organisation=club[0], capacity=3, waitlist_enabled=True, max_seats_per_registration=3
    )
    holders = [person(event, "Tenant", f"Place{number}") for number in range(2)]
    big = person(event, "Groupe", "Classe", status=R.WAITLISTED, waitlist_position=1, seats=2)
    single = person(event, "Seule", "Personne", status=R.WAITLISTED, waitlist_position=2)
    db.session.commit()
    return event, holders, big, single


def seats_held(event) -> int:
    return db.session.scalar(
        sa.select(sa.func.sum(Registration.seats)).where(
            Registration.event_id == event.id, Registration.status.in_((R.CONFIRMED, R.PENDING))
        )
    )


def test_moving_from_the_waiting_list_never_overfills(owner_client, full_event):
    event, _holders, big, single = full_event
    # One seat left: the group of two does not fit, whatever its place in the queue.
    response = owner_client.post(url(event, f"promote?registration={big.id}"), follow_redirects=True)
    assert "Pas assez de places libres pour 2 place(s)" in text(response)
    assert db.session.get(Registration, big.id).status == R.WAITLISTED
    assert outbox(big.id) == []
    # The next one fits, ahead of the group.
    response = owner_client.post(url(event, f"promote?registration={single.id}"), follow_redirects=True)
    assert "Place attribuée" in text(response)
    assert db.session.get(Registration, single.id).status == R.CONFIRMED
    assert db.session.get(Registration, single.id).waitlist_position is None
    assert [row.email_kind for row in outbox(single.id)] == [EmailKind.PROMOTED]
    assert seats_held(event) == 3
    # Promoting again says so and changes nothing.
    response = owner_client.post(url(event, f"promote?registration={single.id}"), follow_redirects=True)
    assert "n'est plus sur la liste d'attente" in text(response)
    assert len(outbox(single.id)) == 1


def test_moving_from_the_waiting_list_respects_a_full_session(db_session, club):
    event = EventFactory(organisation=club[0], capacity=None, waitlist_enabled=True)
    atelier = SessionFactory(event=event, capacity=1)
    holder = person(event, "Déjà", "Là")
    waiting = person(event, "En", "Attente", status=R.WAITLISTED, waitlist_position=1)
    holder.sessions = [atelier]
    waiting.sessions = [atelier]
    db.session.flush()
    with pytest.raises(EventFull):
        registrants_service.promote_registration(event.id, waiting.id)
    with pytest.raises(NotFound):
        registrants_service.promote_registration(EventFactory(organisation=club[0]).id, waiting.id)


# --- Adding by hand -----------------------------------------------------------------


def add_data(**overrides) -> dict:
    data = {
        "first_name": "Gérard",
        "last_name": "Téléphone",
        "email": "gerard.telephone@exemple.fr",
        "category": "benevole",
        "consent": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def added(event) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration).where(
                Registration.event_id == event.id, Registration.email == "gerard.telephone@exemple.fr"
            )
        )
    )


def test_a_registration_added_by_hand_is_a_sign_up(owner_client, club):
    event = EventFactory(organisation=club[0], capacity=10)
    db.session.commit()
    page = text(owner_client.get(url(event, "add")))
    assert "La personne accepte que ses données soient enregistrées" in page
    assert 'name="website"' not in page
    response = owner_client.post(url(event, "add"), data=add_data(phone="06 12 34 56 78"))
    assert response.status_code == 303
    [registration] = added(event)
    assert response.headers["Location"].endswith(f"person?registration={registration.id}")
    assert registration.status == R.CONFIRMED and registration.phone == "06 12 34 56 78"
    [email] = outbox(registration.id)
    assert email.email_kind == EmailKind.CONFIRMATION and email.status == OutboxStatus.PENDING


def test_a_full_event_puts_the_person_on_the_waiting_list_or_refuses(owner_client, club):
    with_list = EventFactory(organisation=club[0], capacity=1, waitlist_enabled=True)
    without = EventFactory(organisation=club[0], capacity=1, waitlist_enabled=False)
    person(with_list, "Déjà", "Inscrite")
    person(without, "Déjà", "Inscrite")
    db.session.commit()
    response = owner_client.post(url(with_list, "add"), data=add_data(), follow_redirects=True)
    assert "la personne est inscrite sur la liste d'attente" in text(response)
    assert [r.status for r in added(with_list)] == [R.WAITLISTED]
    response = owner_client.post(url(without, "add"), data=add_data())
    assert response.status_code == 409
    assert "Complet : il ne reste plus de place pour cet événement." in text(response)
    assert added(without) == []


def test_adding_follows_the_form_s_rules(owner_client, club):
    closed = EventFactory(
        organisation=club[0], registration_closes_at=EventFactory().starts_at - timedelta(days=20)
    )
    db.session.commit()
    response = owner_client.post(url(closed, "add"), data=add_data())
    assert response.status_code == 409 and "Les inscriptions à cet événement sont closes." in text(response)
    response = owner_client.post(url(closed, "add"), data=add_data(consent=None, email="pas-une-adresse"))
    assert response.status_code == 422
    html = text(response)
    assert field_error(html, "consent").endswith("Son accord est nécessaire pour enregistrer l'inscription.")
    assert "adresse e-mail valide" in field_error(html, "email")
    assert added(closed) == []


def test_an_address_already_registered_is_shown_not_emailed(owner_client, club):
    event = EventFactory(organisation=club[0], capacity=10)
    existing = RegistrationFactory(event=event, email="gerard.telephone@exemple.fr")
    db.session.commit()
    response = owner_client.post(url(event, "add"), data=add_data(email="Gerard.Telephone@exemple.fr"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"person?registration={existing.id}")
    assert [r.id for r in added(event)] == [existing.id]
    assert outbox(existing.id) == []  # no "already registered" e-mail for an organiser's typing


def test_no_email_keeps_the_sign_up_email_from_leaving(owner_client, club):
    event = EventFactory(organisation=club[0], capacity=10)
    opt_in = EventFactory(organisation=club[0], capacity=10, requires_email_confirmation=True)
    db.session.commit()
    response = owner_client.post(url(event, "add"), data=add_data(no_email="y"))
    assert response.status_code == 303
    [registration] = added(event)
    [email] = outbox(registration.id)
    assert email.status == OutboxStatus.CANCELLED and "chose no e-mail" in email.last_error
    # Sending it anyway is a no-op: nothing leaves.
    from eventsapp.extensions import mail
    from eventsapp.notifications.service import DeliveryOutcome, deliver_email

    with mail.record_messages() as sent:
        assert deliver_email(email.id) == DeliveryOutcome.ALREADY_DONE
    assert sent == []
    # Double opt-in: without the e-mail the seat would expire, so it is refused.
    response = owner_client.post(url(opt_in, "add"), data=add_data(no_email="y"))
    assert response.status_code == 422
    assert "demande une confirmation par e-mail" in text(response)
    assert added(opt_in) == []


def test_the_service_refuses_no_email_for_double_opt_in(db_session, club):
    event = EventFactory(organisation=club[0], requires_email_confirmation=True)
    request = SignUpRequest(
        first_name="A",
        last_name="B",
        email="a.b@exemple.fr",
        category=ParticipantCategory.AUTRE,
        consent=True,
    )
    with pytest.raises(Exception, match="confirmation par e-mail"):
        registrants_service.add_registration(event.id, request, send_email=False)


def test_check_in_staff_and_coordinators_cannot_see_registrants(app, journee, club):
    event, _people = journee
    staff = make_member(club[0], Role.CHECKIN)
    db.session.commit()
    staff_client = client_for(app, staff.user)
    for path in ("", "person?registration=1", "add", "export.csv", "export.xlsx", "emargement"):
        assert staff_client.get(url(event, path)).status_code == 403, path
