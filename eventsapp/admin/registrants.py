"""The registrants of an event (``/admin/events/<id>/registrants/``): the
list with search, filters and counts; one person's page with their answers
and e-mails; a registration added by hand; change, cancel, move from the
waiting list, send the confirmation again.

The person is named by a query argument (``?registration=<id>``), loaded
only within the event, itself loaded only within the current organisation:
another organisation's ids are a 404. A request without a usable id gets a
French message and the list, never an error page. parse → service →
commit → redirect (303); a refusal comes back in French, nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from eventsapp.accounts.permissions import Permission
from eventsapp.admin import registrants_filters as filtering
from eventsapp.admin import registrants_service as service
from eventsapp.admin.access import get_own_event, requires
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.admin.exports import answer_text
from eventsapp.catalog.availability import availability_for_sessions
from eventsapp.catalog.models import Event
from eventsapp.extensions import db
from eventsapp.registrations.forms import ChoiceRadioField, SignUpForm, consent_text, signup_form_class
from eventsapp.registrations.models import ParticipantCategory, Registration, RegistrationStatus
from eventsapp.registrations.own_forms import ActionForm, ChangeForm, build_change_form
from eventsapp.registrations.service import (
    EventFull,
    RegistrationClosed,
    cancel_registration,
    change_registration,
)
from eventsapp.registrations.validation import InvalidRegistration
from eventsapp.text import parse_id

blueprint = admin_blueprint("admin_registrants", __name__, "/events/<int:event_id>/registrants")


def _list_url(event_id: int) -> str:
    return url_for("admin_registrants.registrants", event_id=event_id)


def _person_url(event_id: int, registration_id: int) -> str:
    return url_for("admin_registrants.person", event_id=event_id, registration=registration_id)


def _requested_registration(event: Event) -> Registration | None:
    """The registration named by ``?registration=``; None when the argument
    is missing or not a number (the caller says so); 404 outside the event."""
    registration_id = parse_id(request.args.get("registration"))
    if registration_id is None:
        return None
    return service.get_event_registration(event.id, registration_id)


def _no_registration(event: Event) -> ResponseReturnValue:
    flash(_("Choisissez une personne dans la liste."), "error")
    return redirect(_list_url(event.id), 303)


# The list ------------------------------------------------------------------------


@blueprint.get("/")
@requires(Permission.REGISTRANTS)
def registrants(event_id: int) -> ResponseReturnValue:
    """Search, filters, counts at the top, one page of registrants."""
    event = get_own_event(event_id)
    filters = filtering.parse_filters(request.args, event)
    page = service.registrant_page(event, filters)
    return render_template(
        "admin/registrants/list.html",
        event=event,
        filters=filters,
        result=page,
        failed=service.failed_emails(event.id) if page.failed_emails else [],
        status_choices=filtering.status_choices(),
        checked_choices=filtering.checked_choices(),
        categories=ParticipantCategory.choices(),
        export_args=filters.query_args(),
        # A message goes to a filter, not to a search: the text is left out.
        message_args={key: value for key, value in filters.query_args().items() if key != "q"},
    )


# One person ----------------------------------------------------------------------


def _shows_seats(registration: Registration) -> bool:
    return registration.event.max_seats_per_registration > 1 or registration.seats > 1


def _change_form(registration: Registration) -> ChangeForm:
    event = registration.event
    return build_change_form(
        registration,
        availability_for_sessions(event) if event.sessions else {},
        show_seats=_shows_seats(registration),
    )


def _person_page(
    event: Event, registration: Registration, change_form: ChangeForm | None = None, status: int = 200
) -> ResponseReturnValue:
    answers = sorted(registration.answers, key=lambda answer: (answer.question.position, answer.question_id))
    return (
        render_template(
            "admin/registrants/person.html",
            event=event,
            registration=registration,
            answers=[(answer.question.label, answer_text(answer.value)) for answer in answers],
            checked_in=bool(filtering.checked_in_ids([registration.id])),
            emails=service.registration_emails(registration.id),
            change_form=change_form or _change_form(registration),
            action_form=ActionForm(),
            is_active=service.is_active(registration),
            Status=RegistrationStatus,
        ),
        status,
    )


@blueprint.get("/person")
@requires(Permission.REGISTRANTS)
def person(event_id: int) -> ResponseReturnValue:
    """One registration: details, answers, e-mails and what can be done."""
    event = get_own_event(event_id)
    registration = _requested_registration(event)
    if registration is None:
        return _no_registration(event)
    return _person_page(event, registration)


@blueprint.post("/change")
@requires(Permission.REGISTRANTS)
def change(event_id: int) -> ResponseReturnValue:
    """Change seats or sessions (``change_registration``: same lock and rules)."""
    event = get_own_event(event_id)
    registration = _requested_registration(event)
    if registration is None:
        return _no_registration(event)
    if not service.is_active(registration):
        flash(_("Cette inscription n'est plus active : elle ne peut plus être modifiée."), "error")
        return redirect(_person_url(event.id, registration.id), 303)
    form = _change_form(registration)
    if not form.validate_on_submit():
        return _person_page(event, registration, form, 422)
    seats = form.seats.data if "seats" in form else registration.seats
    session_ids = form.sessions.data if "sessions" in form else []
    if seats == registration.seats and set(session_ids) == {s.id for s in registration.sessions}:
        flash(_("Rien n'a changé : l'inscription reste la même."), "success")
        return redirect(_person_url(event.id, registration.id), 303)
    try:
        change_registration(registration.id, seats, session_ids)
    except RegistrationClosed as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_person_url(event.id, registration.id), 303)
    except (EventFull, InvalidRegistration) as error:
        db.session.rollback()
        registration = service.get_event_registration(event.id, registration.id)
        field = getattr(error, "field", None) or ("seats" if "seats" in form else "sessions")
        if field in form:
            form[field].errors = [*form[field].errors, error.message]
        else:
            flash(error.message, "error")
        return _person_page(event, registration, form, 422)
    db.session.commit()
    flash(_("Inscription modifiée."), "success")
    return redirect(_person_url(event.id, registration.id), 303)


def _registrant_action(event_id: int, act: Callable[[Event, Registration], str]) -> ResponseReturnValue:
    """One button of a person's page: the event must be the organisation's
    and the person one of its registrants, the form's CSRF token right;
    ``act`` does the change and says what happened (flashed once
    committed); a refusal of the rules is flashed and nothing is kept.
    Back to the person's page either way."""
    event = get_own_event(event_id)
    registration = _requested_registration(event)
    if registration is None:
        return _no_registration(event)
    if not ActionForm().validate_on_submit():
        abort(400)
    registration_id = registration.id
    try:
        done = act(event, registration)
    except (EventFull, service.RegistrantActionRefused) as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    # The ids, not the objects: a rollback expired them.
    return redirect(_person_url(event_id, registration_id), 303)


@blueprint.post("/cancel")
@requires(Permission.REGISTRANTS)
def cancel(event_id: int) -> ResponseReturnValue:
    """Cancel for the person (they get the cancellation e-mail; freed seats
    go to the waiting list)."""

    def cancel_for_them(_event: Event, registration: Registration) -> str:
        if not service.is_active(registration):
            return _("Cette inscription n'était plus active : il n'y avait rien à annuler.")
        cancel_registration(registration.id)
        return _("Inscription annulée ; un e-mail le confirme à la personne.")

    return _registrant_action(event_id, cancel_for_them)


@blueprint.post("/promote")
@requires(Permission.REGISTRANTS)
def promote(event_id: int) -> ResponseReturnValue:
    """Move the person from the waiting list now, if their seats fit."""

    def promote_now(event: Event, registration: Registration) -> str:
        promoted = service.promote_registration(event.id, registration.id)
        if promoted.status == RegistrationStatus.PENDING:
            return _("Place attribuée : la personne doit la confirmer par e-mail.")
        return _("Place attribuée ; un e-mail l'annonce à la personne.")

    return _registrant_action(event_id, promote_now)


@blueprint.post("/resend")
@requires(Permission.REGISTRANTS)
def resend(event_id: int) -> ResponseReturnValue:
    """Send the confirmation (or the e-mail of the current state) again."""

    def send_again(event: Event, registration: Registration) -> str:
        kind = service.resend_confirmation(event.id, registration.id)
        return _("E-mail « %(kind)s » renvoyé.", kind=kind.label)

    return _registrant_action(event_id, send_again)


# Adding by hand --------------------------------------------------------------------


def add_form_class(event: Event) -> type[SignUpForm]:
    """The public sign-up form of ``event`` (same fields, questions and
    checks), worded for an organiser typing for someone, without the
    honeypot, and with "no e-mail"."""
    base = signup_form_class(event, availability_for_sessions(event) if event.sessions else {})

    class AddForm(base):  # type: ignore[valid-type, misc]
        website = None  # organisers are not bots: no honeypot
        category = ChoiceRadioField(
            _l("Vient en tant que"),
            choices=[SelectChoice(value, label) for value, label in ParticipantCategory.choices()],
            validators=[InputRequired(_l("Indiquez à quel titre la personne vient."))],
            invalid_choice_message=_l("Choisissez parmi les réponses proposées."),
        )
        consent = BooleanField(
            _l("La personne accepte que ses données soient enregistrées pour cette inscription."),
            description=_l("Lisez-lui ce texte : %(text)s", text=consent_text(event)),
            validators=[DataRequired(_l("Son accord est nécessaire pour enregistrer l'inscription."))],
        )
        no_email = BooleanField(
            _l("Ne pas envoyer d'e-mail à la personne"),
            description=_l(
                "Par exemple si elle n'en a pas l'usage. Elle ne recevra alors ni confirmation "
                "ni lien pour gérer son inscription (les rappels partiront quand même)."
            ),
        )

    return AddForm


def _add_page(
    event: Event, form: SignUpForm, message: str | None = None, status: int = 200
) -> ResponseReturnValue:
    return render_template("admin/registrants/add.html", event=event, form=form, message=message), status


@blueprint.route("/add", methods=["GET", "POST"])
@requires(Permission.REGISTRANTS)
def add(event_id: int) -> ResponseReturnValue:
    """Register someone by hand (a phone sign-up), through ``sign_up``."""
    event = get_own_event(event_id)
    form = add_form_class(event)()
    if request.method != "POST":  # GET, or HEAD: show, never act
        return _add_page(event, form)
    if not form.validate_on_submit():
        return _add_page(event, form, status=422)
    try:
        result = service.add_registration(event.id, form.signup_request(), send_email=not form.no_email.data)
    except service.AlreadyRegistered as error:
        db.session.rollback()
        if error.registration_id is not None:
            flash(error.message, "error")
            return redirect(_person_url(event.id, error.registration_id), 303)
        return _add_page(event, form, error.message, 409)
    except (RegistrationClosed, EventFull) as error:
        db.session.rollback()
        return _add_page(event, form, error.message, 409)
    except InvalidRegistration as error:
        db.session.rollback()
        attached = form.add_error(error.field, error.message)
        return _add_page(event, form, None if attached else error.message, 422)
    status = result.status
    db.session.commit()
    if status == RegistrationStatus.WAITLISTED:
        flash(_("Complet : la personne est inscrite sur la liste d'attente."), "success")
    elif status == RegistrationStatus.PENDING:
        flash(_("Inscription enregistrée : la personne doit la confirmer par e-mail."), "success")
    else:
        flash(_("Inscription confirmée."), "success")
    return redirect(_person_url(event.id, result.registration_id), 303)
