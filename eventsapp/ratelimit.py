"""Rate limits per client address (Flask-Limiter).

Counters live in ``RATELIMIT_STORAGE_URI``: Redis in production (shared by
every gunicorn worker), memory in the embedded mode. A limit is declared on
the blueprint it protects (``limiter.limit(signup_rate_limit,
methods=["POST"])(blueprint)``): blueprint limits are checked in a
``before_request`` hook, which ``register_extensions`` installs before the
CSRF check, so posts without a valid token count too. Going past a limit
raises a 429, which ``eventsapp.errors`` answers with the French error page.

Behind a reverse proxy every request comes from the proxy's address: set
``PROXY_FIX_X_FOR`` to the number of proxies in front of the app, so that the
address counted is the client's one taken from ``X-Forwarded-For``.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from eventsapp.extensions import limiter


def signup_rate_limit() -> str:
    """The sign-up form's limit, e.g. "10 per minute;50 per hour" (``SIGNUP_RATE_LIMIT``)."""
    return current_app.config["SIGNUP_RATE_LIMIT"]


# Organisers' login and password forms (eventsapp/accounts/views.py): posts
# per client address, and login posts per e-mail address typed, so that
# guessing one account's password from many addresses is slowed down too.
# The per-account limit is generous: a real person locked out can still
# reset their password, and the lock lifts within the hour.
DEFAULT_LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
DEFAULT_LOGIN_ACCOUNT_RATE_LIMIT = "30 per hour"


def login_rate_limit() -> str:
    """Posts of the login and password forms per client address (``LOGIN_RATE_LIMIT``)."""
    return current_app.config.get("LOGIN_RATE_LIMIT") or DEFAULT_LOGIN_RATE_LIMIT


def login_account_rate_limit() -> str:
    """Login posts per e-mail address (``LOGIN_ACCOUNT_RATE_LIMIT``)."""
    return current_app.config.get("LOGIN_ACCOUNT_RATE_LIMIT") or DEFAULT_LOGIN_ACCOUNT_RATE_LIMIT


def login_account_key() -> str:
    """The rate-limit key of a login post: the address typed, lower-cased."""
    address = (request.form.get("email") or "").strip().lower()[:254]
    return f"login-account:{address}"


@limiter.request_filter
def _disabled_for_this_app() -> bool:
    """Exempt every request of an app whose ``RATELIMIT_ENABLED`` is false."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def init_rate_limits(app: Flask) -> None:
    """Bind the limiter to ``app``, honouring the app's own ``RATELIMIT_ENABLED``.

    Flask-Limiter keeps its on/off switch on the (process-wide) limiter, so
    the last app initialised would decide for every app of the process (the
    test suite builds several). The limiter is therefore always initialised,
    and a request filter reads the switch of the app serving the request.
    """
    wanted = bool(app.config.get("RATELIMIT_ENABLED", True))
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    app.config["RATELIMIT_ENABLED"] = wanted
    proxies = int(app.config.get("PROXY_FIX_X_FOR", 0) or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
