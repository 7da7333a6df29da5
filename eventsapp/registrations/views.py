"""The registrant's own page, reached by the private link in every e-mail."""

from __future__ import annotations

from flask import Blueprint, render_template

from eventsapp.registrations.service import get_registration_by_token, waitlist_rank

blueprint = Blueprint("registrations", __name__)


@blueprint.get("/registrations/<token>")
def own_page(token: str) -> str:
    """The registration, its status and place on the waiting list (a wrong
    token is a plain 404, with no hint)."""
    registration = get_registration_by_token(token)
    return render_template(
        "registrations/own_page.html",
        registration=registration,
        event=registration.event,
        rank=waitlist_rank(registration),
    )
