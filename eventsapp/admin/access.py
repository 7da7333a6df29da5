"""The back-office's one permission layer.

Every view of an ``/admin`` blueprint is decorated with ``@requires(...)``:

- an anonymous visitor is sent to the login page (``next`` brings them back);
- ``Permission.ACCOUNT`` needs only a login; every other permission needs a
  membership of the *current organisation* (kept in the session, see
  ``current_membership``) whose role holds it (``accounts.permissions``);
  otherwise 403;
- objects named in the URL are loaded through ``get_own_event``,
  ``get_own_membership``, ``get_coordinated_campaign``: anything outside the
  current organisation is a 404, so ids of other organisations reveal nothing.

The decorator records the permission on the view (``PERMISSION_ATTRIBUTE``).
``guard_admin_paths`` installs an app-wide ``before_request`` that sends
anonymous visitors of any ``/admin`` URL to the login page and refuses (403,
closed by default) any ``/admin`` view without a permission, and
``tests/test_admin_access.py`` enumerates the URL map so that a new route
without a permission fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user

from eventsapp.accounts import service as accounts
from eventsapp.accounts.login import ORGANISATION_SESSION_KEY
from eventsapp.accounts.models import Membership
from eventsapp.accounts.permissions import Permission, role_allows
from eventsapp.accounts.permissions import is_coordinator_of as _is_coordinator
from eventsapp.catalog.models import Campaign, Event
from eventsapp.errors import NotFound
from eventsapp.extensions import db, login_manager

PERMISSION_ATTRIBUTE = "required_permission"
ADMIN_PREFIX = "/admin"
F = TypeVar("F", bound=Callable[..., Any])


def current_membership() -> Membership | None:
    """The signed-in person's membership of the organisation they work in
    (the one chosen in the session, else their first one); None when
    anonymous or a member of no organisation. Loaded once per request."""
    if not current_user.is_authenticated:
        return None
    if "admin_membership" not in g:
        chosen = session.get(ORGANISATION_SESSION_KEY)
        membership = accounts.resolve_membership(current_user.id, chosen if isinstance(chosen, int) else None)
        if membership is None:
            session.pop(ORGANISATION_SESSION_KEY, None)
        elif membership.organisation_id != chosen:
            session[ORGANISATION_SESSION_KEY] = membership.organisation_id
        g.admin_membership = membership
    return g.admin_membership


def current_organisation_id() -> int:
    """The current organisation's id (only inside a view that required a
    permission other than ``ACCOUNT``)."""
    membership = current_membership()
    if membership is None:
        abort(403)
    return membership.organisation_id


def can(permission: Permission | str) -> bool:
    """For templates and views: does the current membership hold ``permission``?"""
    if not current_user.is_authenticated:
        return False
    permission = Permission(permission)
    if permission == Permission.ACCOUNT:
        return True
    membership = current_membership()
    return membership is not None and role_allows(membership.role, permission)


def requires(permission: Permission) -> Callable[[F], F]:
    """Declare what a back-office view needs; see the module's docstring."""
    permission = Permission(permission)

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        setattr(guarded, PERMISSION_ATTRIBUTE, permission)
        return guarded  # type: ignore[return-value]

    return decorator


def declared_permission(view: Callable[..., Any] | None) -> Permission | None:
    """The permission a view declared with ``requires``, or None."""
    return getattr(view, PERMISSION_ATTRIBUTE, None)


def guard_admin_paths(app: Flask) -> None:
    """Closed by default, for every URL under ``/admin`` whatever blueprint
    (or none) it belongs to: anonymous visitors go to the login page, and a
    view that declared no permission answers 403 to everyone."""

    @app.before_request
    def _check_declared_permission() -> Any:
        if not request.path.startswith(ADMIN_PREFIX):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if request.endpoint is None:
            return None  # no such page or method: the routing error answers
        view = current_app.view_functions.get(request.endpoint)
        if declared_permission(view) is None:
            current_app.logger.error("Back-office view %s declares no permission", request.endpoint)
            abort(403)
        return None


def get_own_event(event_id: int) -> Event:
    """The event ``event_id`` if it belongs to the current organisation; 404
    otherwise (the same answer as for an id that does not exist)."""
    event = db.session.get(Event, event_id)
    if event is None or event.organisation_id != current_organisation_id():
        raise NotFound(str(event_id))
    return event


def get_own_membership(membership_id: int) -> Membership:
    """A membership of the current organisation; 404 otherwise."""
    return accounts.get_member(current_organisation_id(), membership_id)


def is_coordinator_of(campaign: Campaign) -> bool:
    """Is the current organisation the coordinator of ``campaign``, and may
    the current member act for it (owner or editor)?"""
    return _is_coordinator(campaign, current_membership())


def get_coordinated_campaign(campaign_id: int) -> Campaign:
    """The campaign ``campaign_id`` if the current organisation coordinates
    it (and the member may act for it); 404 otherwise."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not is_coordinator_of(campaign):
        raise NotFound(str(campaign_id))
    return campaign
