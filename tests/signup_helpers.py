"""Helpers of the sign-up form tests (tests/test_signup_views.py and
tests/test_signup_abuse.py): a valid submission, what was stored, the error
beside a field, and a Journée de l'ESS with workshops and questions."""

from __future__ import annotations

import html as html_module
import re
from datetime import timedelta

import sqlalchemy as sa

from eventsapp.catalog.models import Event, EventQuestion
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.extensions import db
from eventsapp.notifications.models import EmailKind, OutboxMessage
from eventsapp.registrations.models import Registration
from tests.factories import EventFactory, SessionFactory

COMPLET = "Complet : il ne reste plus de place pour cet événement."


def text(response) -> str:
    """The page's HTML with entities decoded, to look for French sentences."""
    return html_module.unescape(response.get_data(as_text=True))


def form_data(**overrides: object) -> dict:
    """A valid submission; an override of None leaves the field out."""
    data = {
        "first_name": "Camille",
        "last_name": "Durand",
        "email": "camille.durand@exemple.fr",
        "category": "salarie-ess",
        "consent": "y",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def registrations(event) -> list[Registration]:
    return list(db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id)))


def emails(registration: Registration) -> list[EmailKind]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.email_kind).where(OutboxMessage.registration_id == registration.id)
        )
    )


def field_error(html: str, field_id: str) -> str:
    """The error shown beside a field (empty when none)."""
    match = re.search(rf'<p id="{field_id}-erreur" class="field-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def post(client, event, **overrides: object):
    """Submit the form. What the test set up is committed first (into the
    test's outer transaction), so a rollback by the view does not undo it."""
    db.session.commit()
    return client.post(f"/events/{event.slug}/register", data=form_data(**overrides))


def make_journee() -> Event:
    """A Journée de l'ESS: group sign-up, two parallel workshops and a plenary, questions."""
    event = EventFactory(title="Journée de l'ESS", capacity=250, max_seats_per_registration=5)
    start = event.starts_at
    plenary = SessionFactory(event=event, title="Plénière", capacity=None, starts_at=start)
    atelier_a = SessionFactory(event=event, title="Atelier financement", capacity=40,
                               starts_at=start + timedelta(hours=2))  # fmt: skip
    atelier_b = SessionFactory(event=event, title="Atelier emploi", capacity=1,
                               starts_at=start + timedelta(hours=2))  # fmt: skip
    questions = [
        EventQuestion(event=event, label="Vos attentes", kind=QuestionKind.TEXT, position=1),
        EventQuestion(event=event, label="Repas du midi", kind=QuestionKind.SINGLE_CHOICE,
                      choices=["Végétarien", "Sans porc", "Je ne reste pas"], required=True, position=2),
        EventQuestion(event=event, label="Thèmes qui vous intéressent", kind=QuestionKind.MULTIPLE_CHOICE,
                      choices=["Emploi", "Finances solidaires", "Mobilité"], position=3),
        EventQuestion(event=event, label="Besoin d'un accès en fauteuil ?", kind=QuestionKind.YES_NO,
                      position=4),
    ]  # fmt: skip
    db.session.add_all(questions)
    db.session.flush()
    event.test_sessions = (plenary, atelier_a, atelier_b)
    event.test_questions = questions
    return event


def journee_answers(event) -> dict:
    text_q, meal, themes, wheelchair = event.test_questions
    return {
        f"question_{meal.id}": "Végétarien",
        f"question_{text_q.id}": "Rencontrer des employeurs",
        f"question_{themes.id}": ["Emploi", "Mobilité"],
        f"question_{wheelchair.id}": "oui",
    }
