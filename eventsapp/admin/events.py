"""The organisers' events: create, edit, duplicate, publish or submit to a
campaign, withdraw, unpublish, cancel; and the coordinator's review of the
events submitted to its campaign (approve, or return with a comment).

parse (``event_forms``) → ``events_service`` / ``events_lifecycle`` → commit →
redirect; a refusal comes back beside the field it is about (422), or as a
French message on the event's page. Nothing changes on GET.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from eventsapp.accounts.permissions import Permission
from eventsapp.admin import events_lifecycle as lifecycle
from eventsapp.admin import events_service as service
from eventsapp.admin.access import (
    current_membership,
    get_coordinated_campaign,
    get_own_event,
    requires,
)
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.admin.event_forms import (
    CancelEventForm,
    ConfirmActionForm,
    DuplicateEventForm,
    EventForm,
    ReviewDecisionForm,
)
from eventsapp.catalog.models import Campaign, Event, Theme
from eventsapp.catalog.vocabulary import EventStatus
from eventsapp.db import now_utc
from eventsapp.errors import DomainError
from eventsapp.extensions import db

blueprint = admin_blueprint("admin_events", __name__)


def _campaign_choices(current: int | None = None) -> list[SelectChoice]:
    """Campaigns still to come or running (and the event's own)."""
    today = now_utc().date()
    campaigns = db.session.scalars(
        sa.select(Campaign)
        .where(sa.or_(Campaign.ends_on >= today, Campaign.id == (current or 0)))
        .order_by(Campaign.starts_on, Campaign.name)
    )
    choices = [SelectChoice("", _("Aucune campagne"))]
    for campaign in campaigns:
        label = campaign.name
        if campaign.requires_approval:
            label = _("%(name)s (validation par la coordination)", name=campaign.name)
        choices.append(SelectChoice(str(campaign.id), label))
    return choices


def _event_form(event: Event | None = None, formdata: object = None) -> EventForm:
    form = EventForm(formdata=formdata)
    form.campaign_id.choices = _campaign_choices(event.campaign_id if event else None)
    form.themes.choices = [
        (theme.id, theme.name) for theme in db.session.scalars(sa.select(Theme).order_by(Theme.name))
    ]
    if event is not None and formdata is None:
        form.fill_from(event)
    return form


def _form_page(template: str, form: object, status: int = 200, **context: object) -> ResponseReturnValue:
    return render_template(f"admin/events/{template}", form=form, **context), status


def _refused(form: object, error: DomainError, template: str, **context: object) -> ResponseReturnValue:
    db.session.rollback()
    attached = form.add_error(getattr(error, "field", None), error.message)
    return _form_page(template, form, 422, message=None if attached else error.message, **context)


@blueprint.route("/events/new", methods=["GET", "POST"])
@requires(Permission.EVENTS)
def create() -> ResponseReturnValue:
    """A new event of the current organisation, saved as a draft."""
    if request.method != "POST":  # GET, or HEAD: show, never act
        return _form_page("form.html", _event_form(), event=None)
    form = _event_form(formdata=request.form)
    values = form.details_values() if form.validate() else None
    if values is None:
        return _form_page("form.html", form, 422, event=None)
    try:
        event = service.create_event(current_membership(), service.EventDetails(**values))
    except service.EventRefused as error:
        return _refused(form, error, "form.html", event=None)
    event_id = event.id
    db.session.commit()
    flash(_("Brouillon enregistré. Ajoutez des ateliers ou des questions, puis publiez-le."), "success")
    return redirect(url_for("admin.event_overview", event_id=event_id), 303)


@blueprint.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@requires(Permission.EVENTS)
def edit(event_id: int) -> ResponseReturnValue:
    """Edit an event. Registrants of a published event are told when its
    date, time or place changes (the page says so before saving)."""
    event = get_own_event(event_id)
    context = {"event": event, "registrants": lifecycle.active_registration_count(event.id)}
    if event.status == EventStatus.CANCELLED:
        flash(_("Un événement annulé ne se modifie plus."), "error")
        return redirect(url_for("admin.event_overview", event_id=event.id), 303)
    if request.method != "POST":  # GET, or HEAD: show, never act
        return _form_page("form.html", _event_form(event), **context)
    form = _event_form(event, request.form)
    values = form.details_values() if form.validate() else None
    if values is None:
        return _form_page("form.html", form, 422, **context)
    details = service.EventDetails(**values)
    try:
        changes = service.update_event(
            event, current_membership(), details, shift_sessions=bool(form.shift_sessions.data)
        )
    except service.EventRefused as error:
        return _refused(form, error, "form.html", **context)
    db.session.commit()
    if changes.moved and event.status == EventStatus.PUBLISHED:
        flash(_("Modifications enregistrées. Les inscrit·es sont prévenu·es du changement."), "success")
    else:
        flash(_("Modifications enregistrées."), "success")
    return redirect(url_for("admin.event_overview", event_id=event_id), 303)


def _next_year(event: Event) -> date:
    local = event.starts_at.astimezone(ZoneInfo(event.timezone)).date()
    try:
        return local.replace(year=local.year + 1)
    except ValueError:  # 29 February
        return local.replace(year=local.year + 1, day=28)


def _duplicate_form(event: Event, formdata: object = None) -> DuplicateEventForm:
    form = DuplicateEventForm(formdata=formdata)
    form.campaign_id.choices = _campaign_choices()
    if formdata is None:
        form.title.data = event.title
        form.start_date.data = _next_year(event)
        form.start_time.data = event.starts_at.astimezone(ZoneInfo(event.timezone)).time()
    return form


@blueprint.route("/events/<int:event_id>/duplicate", methods=["GET", "POST"])
@requires(Permission.EVENTS)
def duplicate(event_id: int) -> ResponseReturnValue:
    """A draft copy with new dates: sessions, questions and reminder rules
    come along, registrations never."""
    event = get_own_event(event_id)
    if request.method != "POST":  # GET, or HEAD: show, never act
        return _form_page("duplicate.html", _duplicate_form(event), event=event)
    form = _duplicate_form(event, request.form)
    valid = form.validate()
    campaign_id = form.campaign_value()
    starts_at = form.moment("start_date", "start_time", event.timezone) if valid else None
    if not valid or starts_at is None or form.campaign_id.errors:
        return _form_page("duplicate.html", form, 422, event=event)
    try:
        copy = service.duplicate_event(
            event, current_membership(), title=form.title.data, starts_at=starts_at, campaign_id=campaign_id
        )
    except service.EventRefused as error:
        return _refused(form, error, "duplicate.html", event=event)
    copy_id = copy.id
    db.session.commit()
    flash(_("Copie enregistrée comme brouillon : vérifiez-la avant de la publier."), "success")
    return redirect(url_for("admin.event_overview", event_id=copy_id), 303)


_TRANSITIONS = {
    "publish": (lifecycle.publish_event, _("L'événement est publié dans l'agenda.")),
    "submit": (lifecycle.submit_event, _("L'événement est soumis à la coordination de la campagne.")),
    "withdraw": (
        lifecycle.withdraw_event,
        _("La demande est retirée : l'événement est de nouveau un brouillon."),
    ),
    "unpublish": (
        lifecycle.unpublish_event,
        _("L'événement n'est plus publié : c'est de nouveau un brouillon."),
    ),
}


def _transition(event_id: int, name: str) -> ResponseReturnValue:
    event = get_own_event(event_id)
    form = ConfirmActionForm()
    if not form.validate():
        flash(_("Le formulaire a expiré : recommencez."), "error")
        return redirect(url_for("admin.event_overview", event_id=event.id), 303)
    action, done = _TRANSITIONS[name]
    try:
        action(event, current_membership())
    except service.EventRefused as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.event_overview", event_id=event_id), 303)
    db.session.commit()
    flash(str(done), "success")
    return redirect(url_for("admin.event_overview", event_id=event_id), 303)


@blueprint.post("/events/<int:event_id>/publish")
@requires(Permission.EVENTS)
def publish(event_id: int) -> ResponseReturnValue:
    return _transition(event_id, "publish")


@blueprint.post("/events/<int:event_id>/submit")
@requires(Permission.EVENTS)
def submit(event_id: int) -> ResponseReturnValue:
    return _transition(event_id, "submit")


@blueprint.post("/events/<int:event_id>/withdraw")
@requires(Permission.EVENTS)
def withdraw(event_id: int) -> ResponseReturnValue:
    return _transition(event_id, "withdraw")


@blueprint.post("/events/<int:event_id>/unpublish")
@requires(Permission.EVENTS)
def unpublish(event_id: int) -> ResponseReturnValue:
    return _transition(event_id, "unpublish")


@blueprint.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@requires(Permission.EVENTS)
def cancel(event_id: int) -> ResponseReturnValue:
    """GET asks for the reason; POST cancels and notifies the registrants."""
    event = get_own_event(event_id)
    context = {"event": event, "registrants": lifecycle.active_registration_count(event.id)}
    form = CancelEventForm(formdata=request.form if request.method == "POST" else None)
    if request.method != "POST":  # GET, or HEAD: show, never act
        return _form_page("cancel.html", form, **context)
    if not form.validate():
        return _form_page("cancel.html", form, 422, **context)
    try:
        lifecycle.cancel_event(event, current_membership(), form.reason.data)
    except service.EventRefused as error:
        return _refused(form, error, "cancel.html", **context)
    db.session.commit()
    flash(_("L'événement est annulé. Les inscrit·es reçoivent un e-mail avec votre message."), "success")
    return redirect(url_for("admin.event_overview", event_id=event_id), 303)


# The coordinator's review -------------------------------------------------------


def _review_page(
    campaign: Campaign, form: ReviewDecisionForm | None = None, status: int = 200, **context: object
):
    events = lifecycle.submitted_events(campaign, current_membership())
    return (
        render_template(
            "admin/events/review.html",
            campaign=campaign,
            events=events,
            failed=form,
            failed_event_id=form.event_value() if form is not None else None,
            confirm=ReviewDecisionForm(formdata=None),
            **context,
        ),
        status,
    )


@blueprint.get("/campaigns/<int:campaign_id>/review")
@requires(Permission.COORDINATION)
def review(campaign_id: int) -> ResponseReturnValue:
    """The events submitted to a coordinated campaign, each with what the
    public would see and approve / return buttons (no registrant data)."""
    return _review_page(get_coordinated_campaign(campaign_id))


def _decide(campaign_id: int, approve: bool) -> ResponseReturnValue:
    campaign = get_coordinated_campaign(campaign_id)
    form = ReviewDecisionForm()
    if not form.validate() or form.event_value() is None:
        return _review_page(campaign, form, 422, message=_("Choisissez un événement de la liste."))
    try:
        if approve:
            event = lifecycle.approve_event(campaign, form.event_value(), current_membership())
        else:
            event = lifecycle.return_event(
                campaign, form.event_value(), current_membership(), form.comment.data or ""
            )
    except service.EventRefused as error:
        db.session.rollback()
        form.add_error(error.field, error.message)
        return _review_page(campaign, form, 422, message=None if error.field else error.message)
    title = event.title
    db.session.commit()
    if approve:
        flash(_("« %(title)s » est validé et publié.", title=title), "success")
    else:
        flash(
            _("« %(title)s » est renvoyé à son organisateur avec votre commentaire.", title=title), "success"
        )
    return redirect(url_for("admin_events.review", campaign_id=campaign_id), 303)


@blueprint.post("/campaigns/<int:campaign_id>/approve")
@requires(Permission.COORDINATION)
def approve(campaign_id: int) -> ResponseReturnValue:
    return _decide(campaign_id, approve=True)


@blueprint.post("/campaigns/<int:campaign_id>/return")
@requires(Permission.COORDINATION)
def send_back(campaign_id: int) -> ResponseReturnValue:
    return _decide(campaign_id, approve=False)


# The event page's panel ----------------------------------------------------------


@blueprint.app_template_global()
def event_lifecycle_panel(event: Event) -> dict[str, object]:
    """What ``admin/events/_panel.html`` shows on the event's page: the
    actions allowed now, the coordinator's last comment, the review trail."""
    campaign = event.campaign
    return {
        "actions": {action.value for action in service.allowed_actions(event)},
        "last_return": lifecycle.last_return(event),
        "reviews": lifecycle.reviews_of(event.id) if campaign is not None else [],
        "registrants": lifecycle.active_registration_count(event.id),
    }
