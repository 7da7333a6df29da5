"""Messages to an event's registrants (``/admin/events/<id>/messages/``):
the history with each message's delivery progress, writing one (who it is
for, subject, text), its preview through the real mailer, and sending.

Sending needs the preview: the confirmation form carries a one-time key
(a second click finds the message already sent) and a signature of what was
previewed; a text changed since is previewed again instead of sent.
parse → ``messages_service`` → commit → redirect (303).
"""

from __future__ import annotations

import hmac
from uuid import uuid4

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from eventsapp.accounts.permissions import Permission
from eventsapp.admin import messages_service as service
from eventsapp.admin import registrants_filters
from eventsapp.admin.access import get_own_event, requires
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.catalog.models import Event
from eventsapp.extensions import db
from eventsapp.registrations.forms import NoControlCharacters
from eventsapp.registrations.models import ParticipantCategory
from eventsapp.text import parse_id

blueprint = admin_blueprint("admin_messages", __name__, "/events/<int:event_id>/messages")

# While e-mails of a message are on their way, its pages reload this often.
REFRESH_SECONDS = 5
_UNKNOWN = _l("Choisissez parmi les réponses proposées.")


class MessageForm(FlaskForm):
    """Who the message is for (the registrants' filter), and what it says."""

    status = SelectField(_l("Statut des inscriptions"), default="", invalid_choice_message=_UNKNOWN)
    session = SelectField(_l("Atelier ou créneau"), default="", invalid_choice_message=_UNKNOWN)
    category = SelectField(_l("Catégorie"), default="", invalid_choice_message=_UNKNOWN)
    checked = SelectField(
        _l("Pointage"),
        description=_l("Par exemple « Non pointé·es » : celles et ceux qui ne sont pas venus."),
        default="",
        invalid_choice_message=_UNKNOWN,
    )
    subject = StringField(
        _l("Objet"),
        validators=[
            DataRequired(_l("Indiquez l'objet du message.")),
            Length(
                max=service.MAX_SUBJECT, message=_l("%(max)d caractères au plus.", max=service.MAX_SUBJECT)
            ),
            NoControlCharacters(),
        ],
        render_kw={"maxlength": service.MAX_SUBJECT},
    )
    body = TextAreaField(
        _l("Message"),
        description=_l(
            "Texte simple. Champs remplacés pour chaque personne : {prenom}, {nom}, {evenement}, "
            "{date}, {lieu}, {lien} (sa page d'inscription)."
        ),
        validators=[
            DataRequired(_l("Écrivez le message.")),
            Length(max=service.MAX_BODY, message=_l("%(max)d caractères au plus.", max=service.MAX_BODY)),
            NoControlCharacters(multiline=True),
        ],
        render_kw={"rows": 12},
    )
    send_key = HiddenField()
    digest = HiddenField()


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _message_form(event: Event, formdata: object = None, data: dict | None = None) -> MessageForm:
    form = MessageForm(formdata=formdata, data=data)
    form.status.choices = _choices(registrants_filters.status_choices())
    if event.sessions:
        form.session.choices = _choices(
            [("", _("Tous les ateliers"))] + [(str(s.id), s.title) for s in event.sessions]
        )
    else:
        del form.session
    form.category.choices = _choices([("", _("Toutes les catégories")), *ParticipantCategory.choices()])
    form.checked.choices = _choices(registrants_filters.checked_choices())
    return form


def _draft(event: Event, form: MessageForm) -> service.Draft:
    filters = registrants_filters.parse_filters(
        {
            "status": form.status.data or "",
            "session": (form.session.data or "") if "session" in form else "",
            "category": form.category.data or "",
            "checked": form.checked.data or "",
        },
        event,
    )
    return service.Draft(subject=form.subject.data or "", body=form.body.data or "", filters=filters)


def _compose_page(
    event: Event,
    form: MessageForm,
    *,
    preview: service.Preview | None = None,
    message: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return (
        render_template(
            "admin/messages/compose.html",
            event=event,
            form=form,
            preview=preview,
            message=message,
            placeholders=service.MESSAGE_PLACEHOLDERS,
        ),
        status,
    )


@blueprint.get("/")
@requires(Permission.MESSAGES)
def messages(event_id: int) -> ResponseReturnValue:
    """What was sent, when, by whom, to how many, and how it is going."""
    event = get_own_event(event_id)
    rows = service.history(event.id)
    return render_template(
        "admin/messages/list.html",
        event=event,
        rows=rows,
        refresh=REFRESH_SECONDS if any(row.delivery.in_progress for row in rows) else None,
    )


@blueprint.route("/new", methods=["GET", "POST"])
@requires(Permission.MESSAGES)
def compose(event_id: int) -> ResponseReturnValue:
    """GET: the form (the registrants list's filter may come along in the
    query). POST with ``action=preview``: the preview and the send button;
    ``action=send``: send what was previewed."""
    event = get_own_event(event_id)
    if request.method != "POST":  # GET, or HEAD: show, never act
        filters = registrants_filters.parse_filters(
            request.args, event, default_status=registrants_filters.ACTIVE
        )
        args = filters.query_args()
        data = {
            "status": filters.status,
            "session": args.get("session", ""),
            "category": args.get("category", ""),
        }
        data["checked"] = filters.checked
        return _compose_page(event, _message_form(event, data=data))
    form = _message_form(event, request.form)
    if not form.validate_on_submit():
        return _compose_page(event, form, status=422)
    draft = _draft(event, form)
    message = None
    if request.form.get("action") == "send":
        expected = service.preview_digest(event.id, draft, form.send_key.data or "")
        if hmac.compare_digest(form.digest.data or "", expected):
            return _send(event, form, draft)
        message = _("Le message ou ses destinataires ont changé depuis l'aperçu : vérifiez-le, puis envoyez.")
    try:
        preview = service.preview(event, draft)
    except service.InvalidMessage as error:
        if not _attach(form, error):
            message = error.message
        return _compose_page(event, form, message=message, status=422)
    form.send_key.data = uuid4().hex
    form.digest.data = service.preview_digest(event.id, draft, form.send_key.data)
    return _compose_page(event, form, preview=preview, message=message)


def _attach(form: MessageForm, error: service.InvalidMessage) -> bool:
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
        return True
    return False


def _send(event: Event, form: MessageForm, draft: service.Draft) -> ResponseReturnValue:
    try:
        sent = service.send_message(event, current_user.id, draft, form.send_key.data or "")
    except service.AlreadySent as error:
        db.session.rollback()
        flash(error.message, "success")
        return redirect(url_for("admin_messages.detail", event_id=event.id, message=error.message_id), 303)
    except service.InvalidMessage as error:
        db.session.rollback()
        message = None if _attach(form, error) else error.message
        return _compose_page(event, form, message=message, status=422)
    message_id, count = sent.id, sent.recipients_count
    db.session.commit()
    flash(
        _("Message enregistré : %(count)d e-mail(s) en cours d'envoi.", count=count),
        "success",
    )
    return redirect(url_for("admin_messages.detail", event_id=event.id, message=message_id), 303)


@blueprint.get("/view")
@requires(Permission.MESSAGES)
def detail(event_id: int) -> ResponseReturnValue:
    """One message: its text, for whom, and each recipient's e-mail state."""
    event = get_own_event(event_id)
    message_id = parse_id(request.args.get("message"))
    if message_id is None:
        flash(_("Choisissez un message dans l'historique."), "error")
        return redirect(url_for("admin_messages.messages", event_id=event.id), 303)
    message = service.get_event_message(event.id, message_id)
    delivery = service.delivery_counts(event.id).get(message.id, service.Delivery())
    return render_template(
        "admin/messages/detail.html",
        event=event,
        message=message,
        delivery=delivery,
        recipients=service.message_outbox(message),
        refresh=REFRESH_SECONDS if delivery.in_progress else None,
    )
