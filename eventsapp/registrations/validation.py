"""Checks of what a person asks for: seats, sessions and answers.

They raise ``InvalidRegistration`` naming the form field at fault, with a
French message; nothing is stored when one fails.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from eventsapp.catalog.models import Event, EventQuestion, Session
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.errors import DomainError

MAX_ANSWER_LENGTH = 2000


class InvalidRegistration(DomainError):
    """A value the rules refuse; ``field`` names the form field (or None)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def check_seats(event: Event, seats: int) -> None:
    """Between 1 and the event's maximum per registration."""
    if seats < 1:
        raise InvalidRegistration(_("Indiquez au moins une place."), "seats")
    if seats > event.max_seats_per_registration:
        raise InvalidRegistration(
            _(
                "Vous pouvez réserver au plus %(max)d place(s) par inscription.",
                max=event.max_seats_per_registration,
            ),
            "seats",
        )


def chosen_sessions(event: Event, session_ids: list[int]) -> list[Session]:
    """The event's sessions with these ids: each must belong to the event, at
    least one is needed when the event has sessions, and none may overlap."""
    by_id = {session.id: session for session in event.sessions}
    if not event.sessions:
        if session_ids:
            raise InvalidRegistration(_("Cet événement n'a pas d'ateliers à choisir."), "sessions")
        return []
    unknown = [session_id for session_id in session_ids if session_id not in by_id]
    if unknown:
        raise InvalidRegistration(_("Un atelier choisi n'appartient pas à cet événement."), "sessions")
    sessions = sorted({by_id[session_id] for session_id in session_ids}, key=lambda s: s.starts_at)
    if not sessions:
        raise InvalidRegistration(_("Choisissez au moins un atelier ou créneau."), "sessions")
    for earlier, later in zip(sessions, sessions[1:], strict=False):
        if later.starts_at < earlier.ends_at:
            raise InvalidRegistration(
                _(
                    "« %(first)s » et « %(second)s » ont lieu en même temps : choisissez l'un des deux.",
                    first=earlier.title,
                    second=later.title,
                ),
                "sessions",
            )
    return sessions


def _clean_answer(question: EventQuestion, raw: Any) -> Any:
    field = f"question_{question.id}"
    if question.kind == QuestionKind.YES_NO:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool):
            return raw
        raise InvalidRegistration(_("Répondez par oui ou par non."), field)
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        values = [value for value in (raw or []) if value]
        if any(value not in question.choices for value in values):
            raise InvalidRegistration(_("Choisissez parmi les réponses proposées."), field)
        return values or None
    value = (raw or "").strip() if isinstance(raw, str) else raw
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidRegistration(_("Réponse non valable."), field)
    if question.kind == QuestionKind.SINGLE_CHOICE and value not in question.choices:
        raise InvalidRegistration(_("Choisissez parmi les réponses proposées."), field)
    if len(value) > MAX_ANSWER_LENGTH:
        raise InvalidRegistration(
            _("Votre réponse dépasse %(max)d caractères.", max=MAX_ANSWER_LENGTH), field
        )
    return value


def clean_answers(event: Event, answers: dict[int, Any]) -> dict[int, Any]:
    """The answers to the event's questions, checked; required ones present."""
    questions = {question.id: question for question in event.questions}
    if any(question_id not in questions for question_id in answers):
        raise InvalidRegistration(_("Une réponse ne correspond à aucune question de cet événement."))
    cleaned: dict[int, Any] = {}
    for question in event.questions:
        value = _clean_answer(question, answers.get(question.id))
        if value is None and question.required:
            raise InvalidRegistration(_("Cette question est obligatoire."), f"question_{question.id}")
        if value is not None:
            cleaned[question.id] = value
    return cleaned
