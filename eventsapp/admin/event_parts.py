"""An event's parts in the back-office: its sessions, its own questions and
(in ``event_reminders``) its reminder rules, with a preview of each e-mail.

Each part has one page listing them with an "add" form; ``?<part>=<id>``
on that page opens one for editing, and the POSTs name it in a hidden field
(``item_id``), so URLs carry only the event (loaded with ``get_own_event``:
another organisation's event is a 404) and the services check that the part
belongs to it.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from eventsapp.accounts.permissions import Permission
from eventsapp.admin import event_parts_service as parts
from eventsapp.admin.access import current_membership, get_own_event, requires
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.admin.event_part_forms import ItemForm, QuestionForm, SessionForm
from eventsapp.admin.events_service import Action, EventRefused, allowed_actions
from eventsapp.catalog.models import Event
from eventsapp.catalog.vocabulary import QuestionKind
from eventsapp.extensions import db
from eventsapp.text import parse_id

blueprint = admin_blueprint("admin_event_parts", __name__, "/events/<int:event_id>")


def _query_id(name: str) -> int | None:
    return parse_id(request.args.get(name))


def _back(endpoint: str, event_id: int) -> ResponseReturnValue:
    return redirect(url_for(f"admin_event_parts.{endpoint}", event_id=event_id), 303)


def _refusal(form: object, error: EventRefused) -> str | None:
    """Attach the service's message to its field; the message for the top
    of the page when there is no such field."""
    db.session.rollback()
    return None if form.add_error(error.field, error.message) else error.message


# Sessions ----------------------------------------------------------------------


def _session_form(event: Event, session: object | None = None, formdata: object = None) -> SessionForm:
    form = SessionForm(formdata=formdata)
    if formdata is None:
        zone = event.zone
        if session is not None:
            form.item_id.data = str(session.id)
            for name in ("title", "location", "capacity", "description"):
                form[name].data = getattr(session, name)
            form.day.data = session.starts_at.astimezone(zone).date()
            form.start_time.data = session.starts_at.astimezone(zone).time()
            form.end_time.data = session.ends_at.astimezone(zone).time()
        else:
            form.day.data = event.starts_at.astimezone(zone).date()
    return form


def _sessions_page(
    event: Event, form: SessionForm | None = None, status: int = 200, message: str | None = None
):
    editing = None
    if form is None:
        session_id = _query_id("session")
        editing = parts.get_session(event, session_id) if session_id else None
        form = _session_form(event, editing)
    elif form.item_value():
        editing = parts.get_session(event, form.item_value())
    in_use = {session.id for session in event.sessions if parts.session_in_use(session.id)}
    return (
        render_template(
            "admin/events/sessions.html",
            event=event,
            form=form,
            editing=editing,
            in_use=in_use,
            item_form=ItemForm(formdata=None),
            editable=Action.EDIT in allowed_actions(event),
            message=message,
        ),
        status,
    )


@blueprint.get("/sessions/")
@requires(Permission.EVENTS)
def sessions(event_id: int) -> ResponseReturnValue:
    """The event's sessions with their seats; ``?session=<id>`` edits one."""
    return _sessions_page(get_own_event(event_id))


@blueprint.post("/sessions/")
@requires(Permission.EVENTS)
def save_session(event_id: int) -> ResponseReturnValue:
    """Add a session, or change the one named by ``item_id``."""
    event = get_own_event(event_id)
    form = SessionForm()
    if form.item_value():
        parts.get_session(event, form.item_value())  # 404 before anything else
    moments = form.moments(event.timezone) if form.validate() else None
    if moments is None:
        return _sessions_page(event, form, 422)
    details = parts.SessionDetails(
        title=form.title.data,
        starts_at=moments[0],
        ends_at=moments[1],
        description=form.description.data or "",
        location=form.location.data or "",
        capacity=form.capacity.data,
    )
    told = 0
    try:
        if form.item_value():
            told = parts.update_session(event, current_membership(), form.item_value(), details)
        else:
            parts.add_session(event, current_membership(), details)
    except EventRefused as error:
        return _sessions_page(event, form, 422, _refusal(form, error))
    db.session.commit()
    if told:
        flash(
            ngettext(
                "Atelier « %(title)s » enregistré. La personne qui l'a choisi est prévenue du changement "
                "par e-mail.",
                "Atelier « %(title)s » enregistré. Les %(num)d personnes qui l'ont choisi sont prévenues "
                "du changement par e-mail.",
                told,
                title=details.title,
            ),
            "success",
        )
    else:
        flash(_("Atelier « %(title)s » enregistré.", title=details.title), "success")
    return _back("sessions", event_id)


@blueprint.post("/sessions/remove")
@requires(Permission.EVENTS)
def remove_session(event_id: int) -> ResponseReturnValue:
    """Remove a session nobody chose."""
    event = get_own_event(event_id)
    form = ItemForm()
    if not form.validate():
        return _sessions_page(event, status=422, message=_("Choisissez un atelier de la liste."))
    try:
        title = parts.remove_session(event, current_membership(), form.item_value())
    except EventRefused as error:
        db.session.rollback()
        return _sessions_page(event, status=422, message=error.message)
    db.session.commit()
    flash(_("Atelier « %(title)s » supprimé.", title=title), "success")
    return _back("sessions", event_id)


# Questions ---------------------------------------------------------------------


def _question_form(question: object | None = None, formdata: object = None) -> QuestionForm:
    form = QuestionForm(formdata=formdata)
    if formdata is None and question is not None:
        form.item_id.data = str(question.id)
        form.label.data, form.help_text.data = question.label, question.help_text
        form.kind.data, form.required.data = question.kind.value, question.required
        form.choices.data = "\n".join(question.choices or [])
    return form


def _questions_page(
    event: Event, form: QuestionForm | None = None, status: int = 200, message: str | None = None
):
    editing = None
    if form is None:
        question_id = _query_id("question")
        editing = parts.get_question(event, question_id) if question_id else None
        form = _question_form(editing)
    elif form.item_value():
        editing = parts.get_question(event, form.item_value())
    return (
        render_template(
            "admin/events/questions.html",
            event=event,
            form=form,
            editing=editing,
            item_form=ItemForm(formdata=None),
            editable=Action.EDIT in allowed_actions(event),
            message=message,
        ),
        status,
    )


@blueprint.get("/questions/")
@requires(Permission.EVENTS)
def questions(event_id: int) -> ResponseReturnValue:
    """The event's own questions in order; ``?question=<id>`` edits one."""
    return _questions_page(get_own_event(event_id))


@blueprint.post("/questions/")
@requires(Permission.EVENTS)
def save_question(event_id: int) -> ResponseReturnValue:
    """Add a question, or change the one named by ``item_id``."""
    event = get_own_event(event_id)
    form = QuestionForm()
    if form.item_value():
        parts.get_question(event, form.item_value())
    if not form.validate():
        return _questions_page(event, form, 422)
    details = parts.QuestionDetails(
        label=form.label.data,
        kind=QuestionKind(form.kind.data),
        help_text=form.help_text.data or "",
        required=bool(form.required.data),
        choices=form.choice_list(),
    )
    try:
        if form.item_value():
            parts.update_question(event, current_membership(), form.item_value(), details)
        else:
            parts.add_question(event, current_membership(), details)
    except EventRefused as error:
        return _questions_page(event, form, 422, _refusal(form, error))
    db.session.commit()
    flash(_("Question enregistrée."), "success")
    return _back("questions", event_id)


@blueprint.post("/questions/remove")
@requires(Permission.EVENTS)
def remove_question(event_id: int) -> ResponseReturnValue:
    event = get_own_event(event_id)
    form = ItemForm()
    if not form.validate():
        return _questions_page(event, status=422, message=_("Choisissez une question de la liste."))
    try:
        parts.remove_question(event, current_membership(), form.item_value())
    except EventRefused as error:
        db.session.rollback()
        return _questions_page(event, status=422, message=error.message)
    db.session.commit()
    flash(_("Question supprimée."), "success")
    return _back("questions", event_id)


@blueprint.post("/questions/move")
@requires(Permission.EVENTS)
def move_question(event_id: int) -> ResponseReturnValue:
    """Move a question up or down the form."""
    event = get_own_event(event_id)
    form = ItemForm()
    if not form.validate() or form.direction.data not in ("up", "down"):
        return _questions_page(event, status=422, message=_("Choisissez une question de la liste."))
    try:
        parts.move_question(event, current_membership(), form.item_value(), up=form.direction.data == "up")
    except EventRefused as error:
        db.session.rollback()
        return _questions_page(event, status=422, message=error.message)
    db.session.commit()
    return _back("questions", event_id)
