"""An event's reminder rules in the back-office, with a preview of each
e-mail: the third part of ``event_parts`` (same blueprint, same conventions:
one page listing them with an "add" form, ``?rule=<id>`` to edit one).
"""

from __future__ import annotations

from datetime import time

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from eventsapp.accounts.permissions import Permission
from eventsapp.admin import event_reminders_service as rules
from eventsapp.admin.access import current_membership, get_own_event, requires
from eventsapp.admin.event_part_forms import ItemForm, RuleForm
from eventsapp.admin.event_parts import _back, _query_id, _refusal, blueprint
from eventsapp.admin.events_service import Action, EventRefused, allowed_actions
from eventsapp.catalog.models import Event
from eventsapp.extensions import db
from eventsapp.notifications.views import framed_document, linkify
from eventsapp.reminders.models import ReminderAnchor, ReminderAudience

# Reminder rules ------------------------------------------------------------------


def _rule_form(rule: object | None = None, formdata: object = None) -> RuleForm:
    form = RuleForm(formdata=formdata)
    if formdata is None and rule is not None:
        form.item_id.data = str(rule.id)
        form.anchor.data, form.audience.data = rule.anchor.value, rule.audience.value
        form.days.data, form.hours.data, form.minutes.data = rules.rule_offset(rule)
        form.at_time.data = rule.local_time
        form.subject.data, form.body.data = rule.subject, rule.body
        form.survey_url.data, form.active.data = rule.survey_url, rule.active
    elif formdata is None:
        subject, body = rules.reminders.default_rule_texts(1)
        form.subject.data, form.body.data = subject, body
        form.at_time.data = time(9, 0)
    return form


def _reminders_page(
    event: Event, form: RuleForm | None = None, status: int = 200, message: str | None = None
):
    editing = None
    if form is None:
        rule_id = _query_id("rule")
        editing = rules.get_rule(event, rule_id) if rule_id else None
        form = _rule_form(editing)
    elif form.item_value():
        editing = rules.get_rule(event, form.item_value())
    return (
        render_template(
            "admin/events/reminders.html",
            event=event,
            rules=rules.reminders.event_rules(event.id),
            form=form,
            editing=editing,
            item_form=ItemForm(formdata=None),
            editable=Action.EDIT in allowed_actions(event),
            placeholders=rules.rule_placeholders(),
            offset_of=rules.rule_offset,
            message=message,
        ),
        status,
    )


@blueprint.get("/reminders/")
@requires(Permission.EVENTS)
def reminders(event_id: int) -> ResponseReturnValue:
    """The event's reminder rules with their due times; ``?rule=<id>`` edits one."""
    return _reminders_page(get_own_event(event_id))


@blueprint.post("/reminders/")
@requires(Permission.EVENTS)
def save_reminder(event_id: int) -> ResponseReturnValue:
    """Add a rule, or change the one named by ``item_id``."""
    event = get_own_event(event_id)
    form = RuleForm()
    if form.item_value():
        rules.get_rule(event, form.item_value())
    if not form.validate():
        return _reminders_page(event, form, 422)
    details = rules.RuleDetails(
        anchor=ReminderAnchor(form.anchor.data),
        days=form.days.data,
        hours=form.hours.data,
        minutes=form.minutes.data,
        local_time=form.local_time(),
        audience=ReminderAudience(form.audience.data),
        subject=form.subject.data,
        body=form.body.data,
        survey_url=form.survey_url.data or None,
        active=bool(form.active.data),
    )
    try:
        if form.item_value():
            rule = rules.update_rule(event, current_membership(), form.item_value(), details)
        else:
            rule = rules.add_rule(event, current_membership(), details)
    except EventRefused as error:
        return _reminders_page(event, form, 422, _refusal(form, error))
    rule_id = rule.id
    db.session.commit()
    flash(_("Rappel enregistré. Voici l'e-mail tel qu'il partira."), "success")
    return redirect(url_for("admin_event_parts.preview_reminder", event_id=event_id, rule=rule_id), 303)


@blueprint.post("/reminders/remove")
@requires(Permission.EVENTS)
def remove_reminder(event_id: int) -> ResponseReturnValue:
    event = get_own_event(event_id)
    form = ItemForm()
    if not form.validate():
        return _reminders_page(event, status=422, message=_("Choisissez un rappel de la liste."))
    try:
        rules.remove_rule(event, current_membership(), form.item_value())
    except EventRefused as error:
        db.session.rollback()
        return _reminders_page(event, status=422, message=error.message)
    db.session.commit()
    flash(_("Rappel supprimé."), "success")
    return _back("reminders", event_id)


@blueprint.get("/reminders/preview")
@requires(Permission.EVENTS)
def preview_reminder(event_id: int) -> ResponseReturnValue:
    """A rule's e-mail composed by the mailer for a sample person: subject,
    text and HTML (in a sandboxed frame). Nothing is stored or sent."""
    event = get_own_event(event_id)
    rule_id = _query_id("rule")
    all_rules = rules.reminders.event_rules(event.id)
    if rule_id is None:
        if not all_rules:
            flash(_("Cet événement n'a pas encore de rappel."), "error")
            return _back("reminders", event_id)
        rule_id = all_rules[0].id
    preview = rules.preview_rule(event, current_membership(), rule_id)
    return render_template(
        "admin/events/reminder_preview.html",
        event=event,
        rule=rules.get_rule(event, rule_id),
        rules=all_rules,
        preview=preview,
        document=framed_document(preview.html) if preview.html else None,
        text=linkify(preview.text),
        sample=f"{rules.SAMPLE_FIRST_NAME} {rules.SAMPLE_LAST_NAME}",
    )
