"""The registrant's own page, reached by the private link in every e-mail.

Everything lives under ``/registrations/<token>``: see the registration,
confirm it (double opt-in), change seats or sessions, cancel, erase one's
personal data. Views stay thin: parse the form, call one service function,
commit once, redirect (POST, then redirect, then GET). A GET never changes
anything, because mail providers' link scanners follow every link.

Every page (and the 404 of a wrong token) is private: not cached, not
indexed, and sent with no ``Referer`` to the sites it links to, since its
address is the key to the registration.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from eventsapp.calendars.links import SubscriptionLinks, personal_subscription
from eventsapp.calendars.tokens import find_feed, personal_feed_url, renew_feed
from eventsapp.catalog.availability import availability_for_sessions
from eventsapp.catalog.models import Event
from eventsapp.db import now_utc
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.formatting import format_moment
from eventsapp.notifications.mailer import zone_label
from eventsapp.registrations.models import ACTIVE_STATUSES, Registration, RegistrationStatus
from eventsapp.registrations.own_forms import ActionForm, ChangeForm, build_change_form
from eventsapp.registrations.privacy import anonymise_registration
from eventsapp.registrations.service import (
    EventFull,
    RegistrationClosed,
    cancel_registration,
    change_registration,
    check_registration_open,
    confirm_pending,
    get_registration_by_token,
    waitlist_rank,
)
from eventsapp.registrations.validation import InvalidRegistration

blueprint = Blueprint("registrations", __name__)

# What ``tokens.derive_token`` makes: 43 URL-safe base64 characters.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
OWN_ENDPOINTS = frozenset(
    f"registrations.{name}"
    for name in ("own_page", "confirm", "change_form_page", "change", "cancel", "erase", "erased", "calendar")
)
PageResponse = str | tuple[str, int] | Response


@blueprint.after_request
def _private_headers(response: Response) -> Response:
    """The link is the key: no cache, no index, no Referer leaving the page."""
    if request.endpoint in OWN_ENDPOINTS:
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@blueprint.errorhandler(CSRFError)
def _csrf_refused(_error: CSRFError) -> tuple[str, int]:
    """A form sent without its security token (or an expired one): nothing
    was done; say so in French and offer the way back."""
    token = (request.view_args or {}).get("token")
    page_url = url_for("registrations.own_page", token=token) if token else None
    return render_template("registrations/own_csrf.html", page_url=page_url), 400


def load_registration(token: str) -> Registration:
    """The registration behind ``token``; ``NotFound`` (a plain 404, the same
    for every wrong token) when the token is malformed or unknown."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise NotFound("registration")
    return get_registration_by_token(token)


def _to_page(token: str, anchor: str | None = None) -> Response:
    """Back to the person's page after a POST (303: the browser then GETs)."""
    return redirect(url_for("registrations.own_page", token=token, _anchor=anchor), code=303)


def _takes_changes(registration: Registration) -> bool:
    """Whether seats and sessions can still be changed: an active
    registration for an event that takes registrations now."""
    if registration.status not in ACTIVE_STATUSES:
        return False
    try:
        check_registration_open(registration.event, now_utc())
    except RegistrationClosed:
        return False
    return True


def _shows_seats(registration: Registration) -> bool:
    """Whether the change form offers seats: when the event allows groups,
    and also when the organiser lowered the maximum below what is held, so
    that the person can come down to it."""
    return registration.event.max_seats_per_registration > 1 or registration.seats > 1


def _change_form(registration: Registration) -> ChangeForm:
    """The change form, with the sessions' seats left in their labels."""
    event = registration.event
    return build_change_form(
        registration,
        availability_for_sessions(event) if event.sessions else {},
        show_seats=_shows_seats(registration),
    )


def _answer_text(value: object) -> str:
    """An answer as read: "Oui"/"Non", choices joined, or the text."""
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _answers(registration: Registration) -> list[tuple[str, str]]:
    """(question, answer) pairs in the order of the event's questions."""
    answers = sorted(registration.answers, key=lambda a: (a.question.position, a.question_id))
    return [(answer.question.label, _answer_text(answer.value)) for answer in answers]


def _contact_email(event: Event) -> str | None:
    """The event's contact address, else its organisation's."""
    if event.contact_email:
        return event.contact_email
    return event.organisation.contact_email if event.organisation else None


def _render_page(
    registration: Registration, token: str, *, change_form: ChangeForm | None = None, status: int = 200
) -> tuple[str, int]:
    """The person's page; ``change_form`` is passed back with its errors."""
    event = registration.event
    now = now_utc()
    can_change = _takes_changes(registration)
    if can_change and change_form is None:
        change_form = _change_form(registration)
    waitlisted = registration.status == RegistrationStatus.WAITLISTED
    cutoff = event.starts_at - timedelta(minutes=event.waitlist_cutoff_minutes)
    pending_until = registration.pending_expires_at
    page = render_template(
        "registrations/own_page.html",
        registration=registration,
        event=event,
        token=token,
        rank=waitlist_rank(registration),
        zone=zone_label(event.timezone),
        answers=_answers(registration),
        can_cancel=registration.status in ACTIVE_STATUSES,
        change_form=change_form if can_change else None,
        action_form=ActionForm(),
        event_over=event.ends_at <= now,
        waitlist_until=format_moment(cutoff, event.timezone) if waitlisted and cutoff > now else None,
        pending_until=format_moment(pending_until, event.timezone) if pending_until else None,
        contact_email=_contact_email(event),
        calendar=_calendar_links(registration),
    )
    return page, status


def _calendar_links(registration: Registration) -> SubscriptionLinks | None:
    """The links to the person's own feed, if it was made (the e-mails and
    the button below make it; a GET never does)."""
    feed = find_feed(registration.email)
    return personal_subscription(personal_feed_url(feed)) if feed is not None else None


@blueprint.get("/registrations/erased")
def erased() -> str:
    """Where the erasure lands: a neutral page that names no one."""
    return render_template("registrations/own_erased.html")


@blueprint.get("/registrations/<token>")
def own_page(token: str) -> PageResponse:
    """The registration, its status and place on the waiting list, what
    happens next, and the forms to confirm, change, cancel or erase."""
    return _render_page(load_registration(token), token)


@blueprint.route("/registrations/<token>/confirm", methods=["GET", "POST"])
def confirm(token: str) -> PageResponse:
    """Double opt-in. GET (the e-mail's link) only shows a button; POST confirms."""
    registration = load_registration(token)
    form = ActionForm()
    if form.validate_on_submit():
        if registration.status == RegistrationStatus.PENDING:
            try:
                confirm_pending(registration.id)
            except RegistrationClosed as error:
                db.session.rollback()
                flash(error.message, "error")
                return _to_page(token)
            db.session.commit()
            flash(_("Merci : votre inscription est confirmée."), "success")
        return _to_page(token)
    if registration.status != RegistrationStatus.PENDING:
        if registration.status == RegistrationStatus.CONFIRMED:
            flash(_("Votre inscription est déjà confirmée."), "success")
        return _to_page(token)
    page = render_template(
        "registrations/own_confirm.html",
        registration=registration,
        event=registration.event,
        form=form,
        token=token,
    )
    return page, 400 if form.is_submitted() else 200


@blueprint.get("/registrations/<token>/change")
def change_form_page(token: str) -> Response:
    """The change form lives on the page itself."""
    load_registration(token)
    return _to_page(token, "modifier")


def _tie_error(form: ChangeForm, error: InvalidRegistration | EventFull, registration: Registration) -> None:
    """Put the service's French message on the field it is about."""
    field = getattr(error, "field", None)
    if isinstance(error, EventFull):
        more_seats = "seats" in form and (form.seats.data or 0) > registration.seats
        field = "seats" if more_seats or "sessions" not in form else "sessions"
    if field and field in form:
        form[field].errors = [*form[field].errors, error.message]
    else:
        form.form_errors.append(error.message)


@blueprint.post("/registrations/<token>/change")
def change(token: str) -> PageResponse:
    """Change seats or sessions through the service (same lock and rules as
    a sign-up); a refusal is shown on its field and nothing is changed."""
    registration = load_registration(token)
    if registration.status not in ACTIVE_STATUSES:
        flash(_("Cette inscription n'est plus active : elle ne peut plus être modifiée."), "error")
        return _to_page(token)
    form = _change_form(registration)
    if not form.validate_on_submit():
        return _render_page(registration, token, change_form=form, status=422)
    seats = form.seats.data if "seats" in form else registration.seats
    session_ids = form.sessions.data if "sessions" in form else []
    unchanged = seats == registration.seats and set(session_ids) == {s.id for s in registration.sessions}
    if unchanged:
        flash(_("Vous n'avez rien changé : votre inscription reste la même."), "success")
        return _to_page(token)
    try:
        change_registration(registration.id, seats, session_ids)
    except RegistrationClosed as error:
        db.session.rollback()
        flash(error.message, "error")
        return _to_page(token)
    except (EventFull, InvalidRegistration) as error:
        db.session.rollback()
        _tie_error(form, error, registration)
        return _render_page(registration, token, change_form=form, status=422)
    db.session.commit()
    flash(_("Votre inscription a été modifiée."), "success")
    return _to_page(token)


@blueprint.route("/registrations/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str) -> PageResponse:
    """GET asks "are you sure?"; POST cancels (a second time changes nothing)."""
    registration = load_registration(token)
    form = ActionForm()
    if form.validate_on_submit():
        was_active = registration.status in ACTIVE_STATUSES
        cancel_registration(registration.id)
        db.session.commit()
        if was_active:
            flash(_("Votre inscription est annulée. Un e-mail vous le confirme."), "success")
        else:
            flash(_("Cette inscription n'était plus active : il n'y avait rien à annuler."), "success")
        return _to_page(token)
    if registration.status not in ACTIVE_STATUSES:
        flash(_("Cette inscription n'est plus active : il n'y a rien à annuler."), "success")
        return _to_page(token)
    page = render_template(
        "registrations/own_cancel.html",
        registration=registration,
        event=registration.event,
        form=form,
        token=token,
    )
    return page, 400 if form.is_submitted() else 200


@blueprint.route("/registrations/<token>/erase", methods=["GET", "POST"])
def erase(token: str) -> PageResponse:
    """GET explains what erasing does; POST erases and leaves this link dead."""
    registration = load_registration(token)
    form = ActionForm()
    if form.validate_on_submit():
        anonymise_registration(registration.id)
        db.session.commit()
        return redirect(url_for("registrations.erased"), code=303)
    page = render_template(
        "registrations/own_erase.html",
        registration=registration,
        event=registration.event,
        form=form,
        token=token,
        is_active=registration.status in ACTIVE_STATUSES,
    )
    return page, 400 if form.is_submitted() else 200


@blueprint.route("/registrations/<token>/calendar", methods=["GET", "POST"])
def calendar(token: str) -> PageResponse:
    """The person's calendar feed link. POST makes it, or replaces it by a new
    one (the old link stops working); GET asks first when there is a link to
    revoke."""
    registration = load_registration(token)
    if not registration.email:  # personal data erased
        return _to_page(token)
    form = ActionForm()
    existing = find_feed(registration.email)
    if form.validate_on_submit():
        renew_feed(registration.email)
        db.session.commit()
        if existing is None:
            flash(_("Votre lien d'abonnement est prêt : ajoutez-le à votre agenda."), "success")
        else:
            flash(_("Voici votre nouveau lien d'abonnement. L'ancien ne fonctionne plus."), "success")
        return _to_page(token, "agenda")
    if existing is None:
        return _to_page(token, "agenda")
    page = render_template(
        "calendars/own_calendar.html",
        registration=registration,
        event=registration.event,
        form=form,
        token=token,
    )
    return page, 400 if form.is_submitted() else 200
