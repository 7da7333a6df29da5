"""The sign-up form at /events/<slug>/register: what a person sees and what is stored.

Bad input (issue 3, point 7), CSRF, the rate limit and the property-based test
live in tests/test_signup_abuse.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind
from eventsapp.registrations.models import ParticipantCategory, RegistrationStatus
from tests.factories import EventFactory, RegistrationFactory, in_days
from tests.signup_helpers import (
    COMPLET,
    emails,
    journee_answers,
    make_journee,
    post,
    registrations,
    text,
)


@pytest.fixture
def journee():
    return make_journee()


def test_form_page_asks_in_french_and_explains_the_use_of_personal_data(client):
    event = EventFactory(title="Ciné-débat « Demain »")
    response = client.get(f"/events/{event.slug}/register")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    html = text(response)
    for label in ("Prénom", "Nom", "Adresse e-mail", "Téléphone (facultatif)", "Structure (facultatif)"):
        assert f">{label}</label>" in html
    assert "<legend>Vous venez en tant que</legend>" in html and "Salarié·e de l'ESS" in html
    assert "12 mois après l'événement" in html and event.organisation.name in html
    assert 'aria-describedby="consent-aide"' in html
    # No seats field for a one-seat event, no sessions, no questions.
    assert 'name="seats"' not in html and 'name="sessions"' not in html
    # The honeypot: hidden from people and assistive technologies, never autofilled.
    assert re.search(r'<div class="hp-field" aria-hidden="true">', html)
    assert re.search(r'<input autocomplete="off" id="website" name="website" tabindex="-1"', html)
    assert "Envoyer mon inscription" in html


def test_form_shows_seats_sessions_with_seats_left_and_the_events_questions(client, journee):
    html = text(client.get(f"/events/{journee.slug}/register"))
    assert 'name="seats"' in html and 'max="5"' in html and "jusqu'à 5" in html
    assert "<legend>Ateliers ou créneaux</legend>" in html
    assert "Atelier financement — " in html and "40 places restantes" in html
    assert "<legend>Repas du midi</legend>" in html and 'value="Sans porc"' in html
    assert "<legend>Thèmes qui vous intéressent (facultatif)</legend>" in html
    assert ">Vos attentes (facultatif)</label>" in html and "<textarea" in html
    assert "<legend>Besoin d'un accès en fauteuil ? (facultatif)</legend>" in html and ">Oui</label>" in html


def test_successful_sign_up_redirects_to_the_sent_page_and_records_the_email(client):
    event = EventFactory(capacity=20)
    response = post(client, event, phone="06 12 34 56 78", structure="Coopérative Les Champs")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/events/{event.slug}/register/sent")
    [registration] = registrations(event)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert (registration.first_name, registration.last_name) == ("Camille", "Durand")
    assert registration.email == "camille.durand@exemple.fr"
    assert registration.phone == "06 12 34 56 78" and registration.structure == "Coopérative Les Champs"
    assert registration.category == ParticipantCategory.SALARIE_ESS and registration.seats == 1
    assert emails(registration) == [EmailKind.CONFIRMATION]

    sent = client.get(response.headers["Location"])
    assert sent.status_code == 200
    html = text(sent)
    assert "Merci !" in html and "Un e-mail vient d'être envoyé à l'adresse indiquée." in html
    assert "camille" not in html.lower()


def test_group_sign_up_with_sessions_and_answers(client, journee):
    plenary, atelier_a, _atelier_b = journee.test_sessions
    response = post(client, journee, seats="3", sessions=[str(plenary.id), str(atelier_a.id)],
                    **journee_answers(journee))  # fmt: skip
    assert response.status_code == 303
    [registration] = registrations(journee)
    assert registration.seats == 3
    assert [session.id for session in registration.sessions] == [plenary.id, atelier_a.id]
    text_q, meal, themes, wheelchair = journee.test_questions
    answers = {answer.question_id: answer.value for answer in registration.answers}
    assert answers == {
        text_q.id: "Rencontrer des employeurs",
        meal.id: "Végétarien",
        themes.id: ["Emploi", "Mobilité"],
        wheelchair.id: True,
    }


def test_double_opt_in_sign_up_is_pending_and_the_sent_page_says_to_confirm(client):
    event = EventFactory(requires_email_confirmation=True, pending_expiry_minutes=24 * 60)
    response = post(client, event)
    [registration] = registrations(event)
    assert registration.status == RegistrationStatus.PENDING
    assert emails(registration) == [EmailKind.PENDING_CONFIRMATION]
    html = text(client.get(response.headers["Location"]))
    assert "suivez le lien de confirmation de cet e-mail dans les 24 heures" in html


def test_full_event_with_a_waiting_list_takes_the_person_on_it(client):
    event = EventFactory(capacity=1, waitlist_enabled=True)
    RegistrationFactory(event=event)
    assert "Rejoindre la liste d'attente" in text(client.get(f"/events/{event.slug}"))
    html = text(client.get(f"/events/{event.slug}/register"))
    assert "vous rejoignez la liste d'attente" in html and "Rejoindre la liste d'attente</button>" in html

    response = post(client, event)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/events/{event.slug}/register/sent")
    waiting = [r for r in registrations(event) if r.status == RegistrationStatus.WAITLISTED]
    assert len(waiting) == 1 and emails(waiting[0]) == [EmailKind.WAITLISTED]
    assert "l'e-mail indique votre position" in text(client.get(response.headers["Location"]))


def test_full_event_without_waiting_list_says_complet_and_stores_nothing(client):
    event = EventFactory(capacity=2)
    RegistrationFactory(event=event, seats=2)
    assert "/register" not in text(client.get(f"/events/{event.slug}"))
    page = client.get(f"/events/{event.slug}/register")
    assert page.status_code == 200 and COMPLET in text(page) and "<form" not in text(page)

    response = post(client, event)
    assert response.status_code == 409
    assert COMPLET in text(response)
    assert len(registrations(event)) == 1


def test_a_full_workshop_refused_by_the_rules_keeps_what_was_typed(client, journee):
    _plenary, _atelier_a, atelier_b = journee.test_sessions
    holder = RegistrationFactory(event=journee)
    holder.sessions.append(atelier_b)
    db.session.flush()
    response = post(client, journee, first_name="Aïcha", sessions=[str(atelier_b.id)],
                    **journee_answers(journee))  # fmt: skip
    assert response.status_code == 409
    html = text(response)
    full = f"Complet : l'atelier « {atelier_b.title} » n'a plus de place. Choisissez un autre atelier."
    assert full in html and 'class="error-summary"' in html
    assert 'value="Aïcha"' in html
    checked = rf'checked id="sessions-\d" name="sessions" type="checkbox" value="{atelier_b.id}"'
    assert re.search(checked, html)
    assert len(registrations(journee)) == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"registration_closes_at": in_days(-1)}, "Les inscriptions à cet événement sont closes."),
        ({"registration_opens_at": in_days(3, hour=8, minute=0)}, "Les inscriptions ouvriront le "),
        ({"registration_required": False}, "Cet événement est en entrée libre"),
        ({"status": EventStatus.CANCELLED}, "Cet événement est annulé : les inscriptions sont fermées."),
        ({"starts_at": in_days(-2), "ends_at": in_days(-1)}, "Cet événement a commencé"),
    ],
)
def test_closed_event_says_why_on_get_and_post_and_stores_nothing(client, changes, reason):
    event = EventFactory(**changes)
    event_page = text(client.get(f"/events/{event.slug}"))
    assert f"/events/{event.slug}/register" not in event_page
    page = client.get(f"/events/{event.slug}/register")
    assert page.status_code == 200
    assert reason in text(page) and 'name="first_name"' not in text(page)

    response = post(client, event)
    assert response.status_code == 409
    assert reason in text(response)
    assert registrations(event) == []


def test_closing_between_page_and_submission_is_refused_with_the_rule_message(client, monkeypatch):
    """The page said open; the service, under the lock, says closed."""
    from eventsapp.registrations import signup_views

    event = EventFactory()
    monkeypatch.setattr(signup_views, "closed_reason", lambda *_args: None)
    event.registration_closes_at = now_utc() - timedelta(minutes=1)
    db.session.flush()
    response = post(client, event)
    assert response.status_code == 409
    assert "Les inscriptions à cet événement sont closes." in text(response)
    assert 'value="Camille"' in text(response)
    assert registrations(event) == []


def test_second_sign_up_with_the_same_address_shows_the_same_page(client):
    event = EventFactory()
    first = post(client, event)
    second = post(client, event, first_name="Autre", email="  Camille.Durand@EXEMPLE.fr ")
    assert second.status_code == first.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    [registration] = registrations(event)
    assert registration.first_name == "Camille"
    assert sorted(emails(registration)) == sorted([EmailKind.CONFIRMATION, EmailKind.ALREADY_REGISTERED])


def test_event_page_links_to_the_form_while_registration_is_open(client):
    event = EventFactory()
    html = text(client.get(f"/events/{event.slug}"))
    assert f'href="/events/{event.slug}/register">S\'inscrire</a>' in html
    assert "arrive bientôt" not in html


def test_sent_page_of_an_unknown_or_draft_event_is_a_404(client):
    draft = EventFactory(status=EventStatus.DRAFT)
    assert client.get(f"/events/{draft.slug}/register/sent").status_code == 404
    assert client.get("/events/inconnu/register/sent").status_code == 404
