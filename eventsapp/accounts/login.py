"""Flask-Login wiring: loading the user, the login redirect, logging in and out.

Two choices keep public pages as they were (cacheable, no ``Vary: Cookie``,
no database query for a user):

- no ``current_user`` context processor for every template: the back-office
  templates get it from their own blueprints' context processors;
- Flask-Login's remember-cookie hook runs only when the request loaded a
  user or logged one in or out (it would otherwise read the session on
  every response).

Logging out everywhere: the session and the remember cookie hold
``User.get_id()`` = "<id>:<session_version>"; ``user_for_session`` refuses
an old version, so a password change or reset ends every other session.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user

from eventsapp.accounts.models import User
from eventsapp.accounts.service import user_for_session
from eventsapp.extensions import login_manager

# The organisation the back-office works in (``admin.access``).
ORGANISATION_SESSION_KEY = "organisation_id"
LOGIN_REQUIRED_MESSAGE = _l("Connectez-vous pour accéder à l'espace organisateurs.")


def init_login(app: Flask) -> None:
    """Bind Flask-Login to ``app``."""
    login_manager.init_app(app, add_context_processor=False)
    # "basic": a session marked non-fresh when restored from the remember
    # cookie; "strong" would log out a phone that changes networks.
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_forget_previous_user)
    _only_when_session_used(app)


# Per-request values kept in ``g``: Flask-Login's user and the back-office's
# membership (``admin.access``).
REQUEST_USER_KEYS = ("_login_user", "admin_membership")


def _forget_previous_user() -> None:
    """Start every request without a user loaded. ``g`` lives as long as the
    app context, and an app context pushed around several requests (the
    test suite's, a script's) would otherwise carry one request's user into
    the next."""
    for key in REQUEST_USER_KEYS:
        g.pop(key, None)


def _load_user(session_id: str) -> User | None:
    return user_for_session(session_id)


def _only_when_session_used(app: Flask) -> None:
    """Replace Flask-Login's after-request hook by one that leaves responses
    that never touched the session alone."""
    hooks = app.after_request_funcs.setdefault(None, [])
    original = login_manager._update_remember_cookie
    hooks[:] = [hook for hook in hooks if hook != original]

    def update_remember_cookie(response: Response) -> Response:
        # Flask-Login puts the user in ``g._login_user`` whenever it loads
        # one, logs one in or out; a request that did none of that has no
        # remember cookie to set or clear. (Asking the session itself would
        # mark it accessed, hence ``Vary: Cookie`` on every public page.)
        if "_login_user" in g:
            return original(response)
        return response

    app.after_request(update_remember_cookie)


def safe_next_url(target: str | None) -> str | None:
    """``target`` when it is a path of the back-office on this site (never
    another host: no open redirect), else None."""
    if not target or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin"):
        return None
    return target


def _unauthorized() -> ResponseReturnValue:
    flash(str(LOGIN_REQUIRED_MESSAGE), "info")
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("accounts.login", next=safe_next_url(next_url)))


def start_session(user: User, *, remember: bool = False) -> None:
    """Log ``user`` in on this browser (the organisation choice starts afresh)."""
    session.pop(ORGANISATION_SESSION_KEY, None)
    login_user(user, remember=remember)


def end_session() -> None:
    """Log out on this browser and forget the remember cookie."""
    logout_user()
    session.pop(ORGANISATION_SESSION_KEY, None)


def renew_session(user: User) -> None:
    """After a password change: keep this browser logged in under the new
    session version (every other one is logged out), remember cookie included."""
    remembered = bool(request.cookies.get(_remember_cookie_name()))
    login_user(user, remember=remembered, fresh=True)


def _remember_cookie_name() -> str:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
