"""The parts of an organiser's event: its sessions and its own questions
(its reminder rules are in ``event_reminders_service``).

Each function checks that the actor may edit the event (as in
``events_service``) and that the part belongs to it (a 404 otherwise), flushes
and never commits; refusals are ``EventRefused`` with a French message and
the form field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from eventsapp.accounts.models import Membership
from eventsapp.admin.events_service import Action, EventRefused, allowed_actions, check_organiser
from eventsapp.catalog.models import Event, EventQuestion, Session
from eventsapp.catalog.service import raise_sequence
from eventsapp.catalog.vocabulary import EventStatus, QuestionKind
from eventsapp.checkin.models import CheckIn, WalkIn
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.locking import lock_event, prepare_write
from eventsapp.registrations.models import (
    RegistrationAnswer,
    registration_sessions,
)
from eventsapp.registrations.service import request_promotion
from eventsapp.reminders.notices import describe_session_changes, notify_session_changed

MAX_CHOICES = 30


def check_editable(event: Event, actor: Membership) -> None:
    check_organiser(event, actor)
    prepare_write()
    if Action.EDIT not in allowed_actions(event):
        raise EventRefused(_("Un événement annulé ne se modifie plus."))


# Sessions ------------------------------------------------------------------


@dataclass
class SessionDetails:
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    location: str = ""
    capacity: int | None = None


def get_session(event: Event, session_id: int | None) -> Session:
    """One of the event's sessions; 404 for any other id."""
    session = db.session.get(Session, session_id) if session_id else None
    if session is None or session.event_id != event.id:
        raise NotFound(str(session_id))
    return session


def _check_session(event: Event, details: SessionDetails) -> None:
    if details.ends_at <= details.starts_at:
        raise EventRefused(_("La fin doit être après le début."), "ends_at")
    if details.starts_at < event.starts_at or details.ends_at > event.ends_at:
        raise EventRefused(_("Un atelier a lieu pendant l'événement : vérifiez ses horaires."), "starts_at")
    if details.capacity is not None and event.capacity is not None and details.capacity > event.capacity:
        raise EventRefused(
            _(
                "L'événement n'a que %(count)d places : un atelier ne peut pas en avoir plus.",
                count=event.capacity,
            ),
            "capacity",
        )


def add_session(event: Event, actor: Membership, details: SessionDetails) -> Session:
    check_editable(event, actor)
    _check_session(event, details)
    session = Session(event_id=event.id, **details.__dict__)
    db.session.add(session)
    db.session.flush()
    db.session.expire(event, ["sessions"])
    return session


def update_session(event: Event, actor: Membership, session_id: int, details: SessionDetails) -> int:
    """Change a session; more seats (or no limit) go to the waiting list.
    A new time or room of a published event's session is told to the
    people who chose it (``reminders.notices.notify_session_changed``).
    Returns how many were told."""
    check_editable(event, actor)
    # Under the event's lock: two organisers saving at once neither read the
    # same "before" nor raise the SEQUENCE (the notices' key) to one value.
    lock_event(event.id)
    session = get_session(event, session_id)
    _check_session(event, details)
    raised = details.capacity is None and session.capacity is not None
    raised = raised or (
        details.capacity is not None and session.capacity is not None and details.capacity > session.capacity
    )
    before = {"starts_at": session.starts_at, "ends_at": session.ends_at, "location": session.location}
    for name, value in details.__dict__.items():
        setattr(session, name, value)
    told = 0
    changes = (
        describe_session_changes(event, session, before) if event.status == EventStatus.PUBLISHED else []
    )
    if changes:
        # Calendars show the workshops in the event: a new SEQUENCE makes
        # them update it, and keys the notices of this change.
        raise_sequence(event)
        db.session.flush()
        told = notify_session_changed(event, session, changes)
    db.session.flush()
    if raised:
        request_promotion(event.id)
    return told


def session_in_use(session_id: int) -> bool:
    """Chosen by a registration (whatever its status) or counted at check-in."""
    for statement in (
        sa.select(registration_sessions.c.registration_id).where(
            registration_sessions.c.session_id == session_id
        ),
        sa.select(CheckIn.id).where(CheckIn.session_id == session_id),
        sa.select(WalkIn.id).where(WalkIn.session_id == session_id),
    ):
        if db.session.scalar(statement.limit(1)) is not None:
            return True
    return False


def remove_session(event: Event, actor: Membership, session_id: int | None) -> str:
    """Remove a session nobody chose; returns its title."""
    check_editable(event, actor)
    session = get_session(event, session_id)
    if session_in_use(session.id):
        raise EventRefused(
            _(
                "Des personnes ont choisi « %(title)s » : il ne peut plus être supprimé. "
                "Modifiez-le, ou écrivez-leur avant d'annuler leur inscription.",
                title=session.title,
            )
        )
    title = session.title
    db.session.delete(session)
    db.session.flush()
    db.session.expire(event, ["sessions"])
    return title


# Questions -----------------------------------------------------------------


@dataclass
class QuestionDetails:
    label: str
    kind: QuestionKind
    help_text: str = ""
    required: bool = False
    choices: list[str] = field(default_factory=list)


def get_question(event: Event, question_id: int | None) -> EventQuestion:
    question = db.session.get(EventQuestion, question_id) if question_id else None
    if question is None or question.event_id != event.id:
        raise NotFound(str(question_id))
    return question


def _clean_choices(details: QuestionDetails) -> list[str]:
    if details.kind not in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        return []
    choices: list[str] = []
    for choice in details.choices:
        choice = " ".join(choice.split())
        if choice and choice not in choices:
            choices.append(choice)
    if len(choices) < 2:
        raise EventRefused(_("Proposez au moins deux réponses, une par ligne."), "choices")
    if len(choices) > MAX_CHOICES:
        raise EventRefused(_("%(max)d réponses au plus.", max=MAX_CHOICES), "choices")
    if any(len(choice) > 200 for choice in choices):
        raise EventRefused(_("Chaque réponse tient en 200 caractères au plus."), "choices")
    return choices


def _answers(question_id: int) -> list[object]:
    return list(
        db.session.scalars(
            sa.select(RegistrationAnswer.value).where(RegistrationAnswer.question_id == question_id)
        )
    )


def add_question(event: Event, actor: Membership, details: QuestionDetails) -> EventQuestion:
    check_editable(event, actor)
    choices = _clean_choices(details)
    last = db.session.scalar(
        sa.select(sa.func.max(EventQuestion.position)).where(EventQuestion.event_id == event.id)
    )
    question = EventQuestion(
        event_id=event.id,
        label=details.label,
        help_text=details.help_text,
        kind=details.kind,
        choices=choices,
        required=details.required,
        position=(last if last is not None else -1) + 1,
    )
    db.session.add(question)
    db.session.flush()
    db.session.expire(event, ["questions"])
    return question


def update_question(
    event: Event, actor: Membership, question_id: int, details: QuestionDetails
) -> EventQuestion:
    """Change a question. Once answered, its kind stays and the answers
    people gave stay among the choices."""
    check_editable(event, actor)
    question = get_question(event, question_id)
    choices = _clean_choices(details)
    answers = _answers(question.id)
    if answers and details.kind != question.kind:
        raise EventRefused(
            _("Des personnes ont déjà répondu : le type de question ne peut plus changer."), "kind"
        )
    given = {value for answer in answers for value in (answer if isinstance(answer, list) else [answer])}
    dropped = sorted(value for value in given if isinstance(value, str) and choices and value not in choices)
    if dropped:
        raise EventRefused(
            _("Des personnes ont répondu « %(choice)s » : gardez cette réponse.", choice=dropped[0]),
            "choices",
        )
    question.label = details.label
    question.help_text = details.help_text
    question.kind = details.kind
    question.choices = choices
    question.required = details.required
    db.session.flush()
    return question


def remove_question(event: Event, actor: Membership, question_id: int | None) -> str:
    check_editable(event, actor)
    question = get_question(event, question_id)
    if _answers(question.id):
        raise EventRefused(
            _(
                "Des personnes ont répondu à « %(label)s » : la question ne peut plus être supprimée.",
                label=question.label,
            )
        )
    label = question.label
    db.session.delete(question)
    db.session.flush()
    db.session.expire(event, ["questions"])
    return label


def move_question(event: Event, actor: Membership, question_id: int | None, up: bool) -> EventQuestion:
    """Swap a question with the one before (``up``) or after it."""
    check_editable(event, actor)
    question = get_question(event, question_id)
    ordered = list(
        db.session.scalars(
            sa.select(EventQuestion)
            .where(EventQuestion.event_id == event.id)
            .order_by(EventQuestion.position, EventQuestion.id)
        )
    )
    index = ordered.index(question)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    db.session.flush()
    db.session.expire(event, ["questions"])
    return question
