"""The sign-up form: ``/events/<slug>/register`` and the page shown after it.

parse (``forms.py``) → ``registrations.service.sign_up`` → commit → redirect
(post/redirect/get) to ``/events/<slug>/register/sent``. That page reads the
same whatever happened (seats confirmed, pending confirmation, waiting list,
an address already registered): the e-mail tells the owner of the address,
the screen tells nobody. A refusal of the rules comes back on the form with
what was typed; nothing is stored then. The form page carries a CSRF token,
so it is never cached.
"""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from eventsapp.catalog.availability import (
    Availability,
    availability_for_events,
    availability_for_sessions,
    event_availability,
)
from eventsapp.catalog.models import Event
from eventsapp.catalog.service import get_public_event
from eventsapp.db import now_utc
from eventsapp.errors import NotFound, render_error_page
from eventsapp.extensions import db, limiter
from eventsapp.formatting import format_moment
from eventsapp.ratelimit import signup_rate_limit
from eventsapp.registrations.forms import SignUpForm, signup_form_class
from eventsapp.registrations.service import (
    EventFull,
    RegistrationClosed,
    check_registration_open,
    sign_up,
)
from eventsapp.registrations.validation import InvalidRegistration

blueprint = Blueprint("signup", __name__)
# Submissions per client address. A blueprint limit is checked before the
# CSRF check (see register_extensions), so forged posts count too.
limiter.limit(signup_rate_limit, methods=["POST"])(blueprint)


def closed_reason(event: Event, availability: Availability) -> str | None:
    """Why nobody can sign up now (in French), or None while one can."""
    if availability.can_register:
        return None
    if availability.state == "cancelled":
        return _("Cet événement est annulé : les inscriptions sont fermées.")
    if availability.state == "full":
        return _("Complet : il ne reste plus de place pour cet événement.")
    if availability.state == "not-open" and availability.opens_at:
        return _(
            "Les inscriptions ouvriront le %(when)s.",
            when=format_moment(availability.opens_at, event.timezone),
        )
    try:
        check_registration_open(event, now_utc())
    except RegistrationClosed as error:
        return error.message
    return _("Les inscriptions à cet événement sont closes.")


def _page(
    event: Event,
    availability: Availability,
    form: SignUpForm | None,
    message: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The form page (or, without ``form``, why it is closed); never cached."""
    response = make_response(
        render_template(
            "registrations/signup.html",
            event=event,
            availability=availability,
            form=form,
            message=message,
        ),
        status,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _event_and_form(slug: str) -> tuple[Event, Availability, SignUpForm]:
    # The sign-up pages show neither audiences nor themes.
    event = get_public_event(slug, with_listing_details=False)
    availability = availability_for_events([event])[event.id]
    form_class = signup_form_class(event, availability_for_sessions(event))
    return event, availability, form_class()


def _show_again(
    event: Event, form: SignUpForm, message: str | None, status: int, *, closed_message: str | None = None
) -> ResponseReturnValue:
    """The form sent back, with what was typed, its errors and the seats
    left, counted now (a sign-up that goes through never needs them)."""
    availability = availability_for_events([event])[event.id]
    if closed_message is not None:
        return _page(event, availability, None, closed_reason(event, availability) or closed_message, status)
    if event.sessions:
        # The workshops' labels show their seats left.
        counted = signup_form_class(event, availability_for_sessions(event))()
        for name, field in form._fields.items():
            counted[name].errors = list(field.errors)
        form = counted
    return _page(event, availability, form, message, status)


@blueprint.route("/events/<slug:slug>/register", methods=["GET", "POST"])
def register(slug: str) -> ResponseReturnValue:
    """Show the form; on POST, sign the person up and redirect to the sent page."""
    if request.method != "POST":  # GET, or HEAD: show, never act
        event, availability, form = _event_and_form(slug)
        reason = closed_reason(event, availability)
        return _page(event, availability, None if reason else form, reason)
    # A POST counts nothing before the service locks the event and counts
    # the seats itself: full events are refused there, open ones pay less.
    event = get_public_event(slug, with_listing_details=False)
    form = signup_form_class(event, {})()
    # Closed, cancelled, not open yet…: judged without counting seats.
    reason = closed_reason(event, event_availability(event, seats_taken=0))
    if reason is not None:
        return _show_again(event, form, None, 409, closed_message=reason)
    if form.honeypot_filled:
        # A bot: it is told what a person would be told, and nothing is stored.
        current_app.logger.info("Sign-up honeypot filled in for event %s", event.id)
        return redirect(url_for("signup.sent", slug=slug), 303)
    if not form.validate():
        return _show_again(event, form, None, 422)
    try:
        sign_up(event.id, form.signup_request())
        db.session.commit()
    except (RegistrationClosed, EventFull) as error:
        db.session.rollback()
        return _show_again(event, form, error.message, 409)
    except InvalidRegistration as error:
        db.session.rollback()
        attached = form.add_error(error.field, error.message)
        return _show_again(event, form, None if attached else error.message, 422)
    return redirect(url_for("signup.sent", slug=slug), 303)


@blueprint.errorhandler(CSRFError)
def csrf_failed(_error: CSRFError) -> ResponseReturnValue:
    """A missing, wrong or expired CSRF token (the form was left open too
    long, cookies are blocked…): the form again, with what was typed and a
    fresh token, and nothing stored."""
    slug = (request.view_args or {}).get("slug", "")
    try:
        event, availability, form = _event_and_form(slug)
    except NotFound:
        return render_error_page(404)
    message = _(
        "Le formulaire a expiré ou n'a pas pu être vérifié : votre inscription n'a pas été "
        "enregistrée. Vérifiez vos informations et envoyez-le de nouveau."
    )
    reason = closed_reason(event, availability)
    return _page(event, availability, None if reason else form, reason or message, 400)


@blueprint.get("/events/<slug:slug>/register/sent")
def sent(slug: str) -> ResponseReturnValue:
    """The same page for every outcome: an e-mail was sent to the address given."""
    event = get_public_event(slug, with_listing_details=False)
    return render_template("registrations/sent.html", event=event)
