"""``/reminders/stop/<token>``: stop the reminders of one registration.

GET shows what the button does (mail scanners follow links: a GET changes
nothing). POST stops them, from the page's button or from a mail client's
one-click unsubscribe (RFC 8058: a POST with ``List-Unsubscribe=One-Click``
and no cookie, hence no CSRF token: the signed link is the proof). The
registration itself stands.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from eventsapp.errors import NotFound
from eventsapp.extensions import csrf, db
from eventsapp.registrations.models import Registration
from eventsapp.registrations.signed_links import still_names
from eventsapp.reminders.links import registration_id_from_stop_token
from eventsapp.reminders.service import stop_reminders

blueprint = Blueprint("reminders", __name__)


def _registration(token: str) -> Registration:
    found = registration_id_from_stop_token(token)
    registration = db.session.get(Registration, found[0]) if found else None
    if not found or not still_names(registration, found[1]):
        raise NotFound("registration")
    return registration


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@blueprint.route("/reminders/stop/<token>", methods=["GET", "POST"])
@csrf.exempt
def stop(token: str) -> Response:
    """The page, and the stop itself on POST."""
    registration = _registration(token)
    stopped_now = False
    if request.method == "POST":
        stopped_now = stop_reminders(registration)
        db.session.commit()
    response = Response(
        render_template(
            "reminders/stop.html",
            registration=registration,
            event=registration.event,
            token=token,
            posted=request.method == "POST",
            stopped_now=stopped_now,
        )
    )
    return _private(response)
