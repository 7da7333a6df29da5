"""What every back-office blueprint shares: the ``/admin`` prefix, the
layout's context, French pages for expired forms, and responses that are
never cached. (The permission guard covers every ``/admin`` URL, see
``access.guard_admin_paths``.)

Make each new back-office blueprint with ``admin_blueprint`` and register it
in ``eventsapp.admin.register``; ``tests/test_admin_access.py`` then covers
its routes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, make_response, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from eventsapp.accounts import service as accounts
from eventsapp.accounts.permissions import Permission
from eventsapp.admin.access import ADMIN_PREFIX, can, current_membership
from eventsapp.catalog.models import Campaign
from eventsapp.extensions import db


def admin_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint under ``/admin`` with the shared guard and layout context."""
    blueprint = Blueprint(name, import_name, url_prefix=f"{ADMIN_PREFIX}{url_prefix}")
    blueprint.context_processor(_layout_context)
    blueprint.after_request(_never_cached)
    blueprint.register_error_handler(CSRFError, _csrf_failed)
    return blueprint


def _layout_context() -> dict[str, Any]:
    """What ``templates/admin/layout.html`` shows: who, in which
    organisation, what they may open, where they may switch to."""
    if not current_user.is_authenticated:
        return {"can": can}
    membership = current_membership()
    coordinates = False
    if membership is not None and can(Permission.COORDINATION):
        coordinates = (
            db.session.scalar(
                sa.select(Campaign.id).where(Campaign.coordinator_id == membership.organisation_id).limit(1)
            )
            is not None
        )
    return {
        "can": can,
        "current_user": current_user,
        "membership": membership,
        "memberships": accounts.memberships_of(current_user.id),
        "coordinates": coordinates,
        "Permission": Permission,
    }


def _never_cached(response: Response) -> Response:
    # Back-office pages show personal data: no shared or browser cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _csrf_failed(_error: CSRFError) -> ResponseReturnValue:
    return make_response(render_template("admin/csrf.html"), 400)
