"""Check-in pages of the back-office (``Permission.CHECKIN``: owners, editors,
check-in staff), made for a phone at the door.

- ``/admin/checkin/``: the organisation's events open for check-in, and
  ``/admin/events/<id>/checkin``: one event's page (both routes stay in
  ``admin.views`` under their first names, ``admin.checkin_list`` and
  ``admin.event_checkin``; they render with ``checkin_list_page`` and
  ``checkin_page`` here);
- ``…/checkin/check``, ``…/checkin/undo``, ``…/checkin/walk-ins`` (POST):
  one tap, then back to the page (post/redirect/get), which is therefore
  always right without JavaScript;
- ``…/checkin/results`` (the list alone, for the search-as-you-type script)
  and ``…/checkin/counts.json`` (the figures, refreshed by the script);
- ``/admin/checkin/scan?t=<token>``: what the QR code of a confirmation
  e-mail opens; GET shows the person, POST checks them in.

Objects come from the URL (``get_own_event``) or from the form, always
within the current organisation; a URL carries no registration id (the
access test enumerates every route). The scope (the event's door, or one
of its sessions) is the ``session`` query or form parameter; see
``checkin.service`` for the rules.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from eventsapp.accounts import service as accounts
from eventsapp.accounts.forms import SwitchOrganisationForm
from eventsapp.accounts.permissions import Permission, role_allows
from eventsapp.admin import service as admin_service
from eventsapp.admin.access import current_organisation_id, get_own_event, requires
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.catalog.models import Event
from eventsapp.checkin import attendance, service
from eventsapp.checkin.links import read_checkin_token, registration_matches
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation
from eventsapp.registrations.models import SEAT_HOLDING_STATUSES, ParticipantCategory, Registration
from eventsapp.text import parse_id

blueprint = admin_blueprint("admin_checkin", __name__)

# Longest search kept (a name, not a text).
MAX_QUERY_LENGTH = 100


def _query() -> str:
    return (request.values.get("q") or "").strip()[:MAX_QUERY_LENGTH]


def _scope(event: Event) -> int | None:
    """The session id asked for (None: the event's door); 404 for a session
    the event does not have."""
    raw = request.values.get("session")
    if not raw:
        return None
    session_id = parse_id(raw)
    try:
        service.event_session(event, session_id if session_id is not None else -1)
    except service.CheckInRefused as error:
        raise NotFound(str(raw)) from error
    return session_id


def _page_url(event: Event, session_id: int | None, query: str = "") -> str:
    return url_for("admin.event_checkin", event_id=event.id, session=session_id or None, q=query or None)


# --- Pages ----------------------------------------------------------------------


def checkin_list_page() -> ResponseReturnValue:
    """The events open for check-in, each with its figures."""
    events = admin_service.checkin_events(current_organisation_id())
    figures = attendance.counts_of_events([event.id for event in events])
    return render_template("admin/checkin/list.html", events=events, figures=figures)


def _results_context(event: Event, session_id: int | None, query: str) -> dict[str, Any]:
    people, matched = attendance.attendees(event.id, session_id, query)
    return {
        "event": event,
        "session_id": session_id,
        "query": query,
        "people": people,
        "matched": matched,
        "limit": attendance.LIST_LIMIT,
        "describe": lambda checkin: attendance.describe_checkin(checkin, event.timezone),
    }


def checkin_page(event: Event) -> ResponseReturnValue:
    """One event's check-in page: figures, search, the list, walk-ins."""
    session_id = _scope(event)
    query = _query()
    scope_session = service.event_session(event, session_id)
    return render_template(
        "admin/checkin/event.html",
        scope_session=scope_session,
        counts=attendance.counts(event.id, session_id),
        categories=list(ParticipantCategory),
        **_results_context(event, session_id, query),
    )


@blueprint.get("/events/<int:event_id>/checkin/results")
@requires(Permission.CHECKIN)
def results(event_id: int) -> ResponseReturnValue:
    """The list alone (an HTML fragment), for the search-as-you-type script."""
    event = get_own_event(event_id)
    session_id = _scope(event)
    return render_template("admin/checkin/_results.html", **_results_context(event, session_id, _query()))


@blueprint.get("/events/<int:event_id>/checkin/counts.json")
@requires(Permission.CHECKIN)
def counts(event_id: int) -> ResponseReturnValue:
    """The figures of the scope, for the script that refreshes them."""
    event = get_own_event(event_id)
    return jsonify(attendance.counts(event.id, _scope(event)).as_json())


# --- Taps -----------------------------------------------------------------------


def _back(event: Event, session_id: int | None) -> ResponseReturnValue:
    return redirect(_page_url(event, session_id, _query()), 303)


def _refused(event: Event, session_id: int | None, error: service.CheckInRefused) -> ResponseReturnValue:
    db.session.rollback()
    flash(error.message, "error")
    return _back(event, session_id)


def _seats() -> int | None:
    raw = (request.form.get("seats") or "").strip()
    if not raw:
        return None
    value = parse_id(raw)
    # An impossible number is refused by the service with the right bounds.
    return value if value is not None else 0


@blueprint.post("/events/<int:event_id>/checkin/check")
@requires(Permission.CHECKIN)
def check(event_id: int) -> ResponseReturnValue:
    """One tap: the person (``registration_id``) is here."""
    event = get_own_event(event_id)
    session_id = _scope(event)
    registration_id = parse_id(request.form.get("registration_id"))
    if registration_id is None:
        flash(_("Choisissez la personne à pointer dans la liste."), "error")
        return _back(event, session_id)
    try:
        result = service.check_in(
            event.id, registration_id, current_user.id, session_id=session_id, seats=_seats()
        )
    except service.CheckInRefused as error:
        return _refused(event, session_id, error)
    db.session.commit()
    _flash_result(result, event)
    return _back(event, session_id)


def _flash_result(result: service.CheckInResult, event: Event) -> None:
    registration = result.registration
    name = f"{registration.first_name} {registration.last_name}".strip()
    if result.created:
        if result.checkin.seats > 1:
            flash(_("%(name)s est pointé·e (%(seats)s personnes).", name=name, seats=result.checkin.seats))
        else:
            flash(_("%(name)s est pointé·e.", name=name), "success")
    else:
        flash(service.already_checked_in_message(result, event.timezone), "warning")


@blueprint.post("/events/<int:event_id>/checkin/undo")
@requires(Permission.CHECKIN)
def undo(event_id: int) -> ResponseReturnValue:
    """Take a check-in back (a wrong tap)."""
    event = get_own_event(event_id)
    session_id = _scope(event)
    registration_id = parse_id(request.form.get("registration_id"))
    registration = db.session.get(Registration, registration_id) if registration_id else None
    if registration is None or registration.event_id != event.id:
        flash(_("Choisissez dans la liste le pointage à annuler."), "error")
        return _back(event, session_id)
    try:
        undone = service.undo_check_in(event.id, registration.id, session_id=session_id)
    except service.CheckInRefused as error:
        return _refused(event, session_id, error)
    db.session.commit()
    name = f"{registration.first_name} {registration.last_name}".strip()
    if undone:
        flash(_("Pointage de %(name)s annulé.", name=name), "success")
    else:
        flash(_("%(name)s n'était pas pointé·e : rien n'a été modifié.", name=name), "warning")
    return _back(event, session_id)


@blueprint.post("/events/<int:event_id>/checkin/walk-ins")
@requires(Permission.CHECKIN)
def walk_ins(event_id: int) -> ResponseReturnValue:
    """+ or − one person come without registering, in a category."""
    event = get_own_event(event_id)
    session_id = _scope(event)
    change = {"plus": 1, "moins": -1}.get(request.form.get("change") or "")
    try:
        category = ParticipantCategory(request.form.get("category") or "")
    except ValueError:
        category = None
    if change is None or category is None:
        flash(_("Choisissez une catégorie et le bouton + ou −."), "error")
        return _back(event, session_id)
    try:
        count = service.change_walk_ins(event.id, category, change, current_user.id, session_id=session_id)
    except service.CheckInRefused as error:
        return _refused(event, session_id, error)
    db.session.commit()
    flash(
        _("Venus sans inscription, %(category)s : %(count)s.", category=category.label, count=count),
        "success",
    )
    return _back(event, session_id)


# --- The QR code's page -----------------------------------------------------------


def _scanned_registration() -> Registration:
    """The registration of the scanned token, if it belongs to an event of
    the current organisation. A missing or forged token is a 400 page; a
    registration of another organisation a 404 (with a hint when the person
    is also staff of that organisation)."""
    found = read_checkin_token(request.values.get("t"))
    if found is None:
        abort(_scan_error(_("Ce QR code n'est pas un QR code de pointage valide."), 400))
    registration = db.session.get(Registration, found[0])
    if not registration_matches(registration, found[1]):
        abort(_scan_error(_("Cette inscription n'existe plus (annulée et effacée, ou lien renouvelé)."), 404))
    organisation_id = registration.event.organisation_id
    if organisation_id != current_organisation_id():
        membership = accounts.membership_in(current_user.id, organisation_id)
        if membership is not None and role_allows(membership.role, Permission.CHECKIN):
            abort(
                _scan_error(
                    _(
                        "Ce QR code concerne un événement de %(name)s : passez à cette structure "
                        "pour pointer la personne.",
                        name=membership.organisation.name,
                    ),
                    403,
                    switch_to=membership.organisation,
                )
            )
        raise NotFound("registration")
    return registration


def _scan_error(message: str, status: int, switch_to: Organisation | None = None) -> Response:
    # Given to ``abort``: the HTTP error handler lets a ready response through.
    # ``switch_to``: the scanner's other organisation, offered with one button
    # that comes back to this QR code.
    return make_response(
        render_template(
            "admin/checkin/scan_error.html",
            message=message,
            switch_to=switch_to,
            switch_form=SwitchOrganisationForm() if switch_to else None,
            back_url=request.full_path,
        ),
        status,
    )


@blueprint.get("/checkin/scan")
@requires(Permission.CHECKIN)
def scan() -> ResponseReturnValue:
    """The person behind a QR code and a button to confirm their arrival
    (a GET never checks in: link previews and reloads change nothing)."""
    registration = _scanned_registration()
    event = registration.event
    checkin = attendance.find_checkin(registration.id)
    return render_template(
        "admin/checkin/scan.html",
        registration=registration,
        event=event,
        checkin=checkin,
        checkable=registration.status in SEAT_HOLDING_STATUSES and not event.is_cancelled,
        token=request.values.get("t"),
        describe=lambda row: attendance.describe_checkin(row, event.timezone),
        counts=attendance.counts(event.id),
    )


@blueprint.post("/checkin/scan")
@requires(Permission.CHECKIN)
def scan_check_in() -> ResponseReturnValue:
    """Confirm the arrival of the scanned person; scanning and confirming
    again says who checked them in, and when."""
    registration = _scanned_registration()
    event = registration.event
    try:
        result = service.check_in(event.id, registration.id, current_user.id)
    except service.CheckInRefused as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        _flash_result(result, event)
    return redirect(url_for("admin_checkin.scan", t=request.values.get("t")), 303)
