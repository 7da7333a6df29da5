"""Logging in and out, and passwords: ``/account/…`` (no login needed).

- ``/account/login``: e-mail and password; rate-limited per client address
  and per address typed; the same message for an unknown address and a
  wrong password.
- ``/account/logout``: POST only, with its CSRF token.
- ``/account/password/forgot``: always the same answer, whether the address
  has an account or not; an e-mail only when it has.
- ``/account/password/set/<token>``: the one-time link of an invitation or
  a reset. GET only shows the form (mail scanners that follow links change
  nothing); the POST sets the password, ends every other session of the
  account and logs this browser in.

The back-office itself is under ``/admin`` (``eventsapp.admin``).
"""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from eventsapp.accounts import service
from eventsapp.accounts.forms import ForgotPasswordForm, LoginForm, SetPasswordForm
from eventsapp.accounts.login import end_session, safe_next_url, start_session
from eventsapp.accounts.tokens import ExpiredToken, InvalidToken, Purpose
from eventsapp.extensions import db, limiter
from eventsapp.ratelimit import login_account_key, login_account_rate_limit, login_rate_limit

blueprint = Blueprint("accounts", __name__, url_prefix="/account")
# The posts of each of these pages, per client address; checked before the
# CSRF token (see register_extensions), so forged posts count too.
limiter.limit(login_rate_limit, methods=["POST"])(blueprint)
# And login posts per address typed (see eventsapp.ratelimit). Declared on
# the blueprint too: a limit on the view itself would only be checked after
# the CSRF check, and forged posts would not count.
limiter.limit(
    login_account_rate_limit,
    key_func=login_account_key,
    methods=["POST"],
    exempt_when=lambda: request.endpoint != "accounts.login",
)(blueprint)


def _page(template: str, status: int = 200, **context: object) -> ResponseReturnValue:
    """An account page: never cached, never indexed, no referrer (the
    set-password address holds a secret)."""
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a valid post opens the back-office (or ``next``)."""
    next_url = safe_next_url(request.values.get("next"))
    if current_user.is_authenticated and request.method != "POST":
        return redirect(next_url or url_for("admin.home"))
    form = LoginForm()
    if request.method != "POST":  # GET, or HEAD: show, never act
        return _page("accounts/login.html", form=form, next_url=next_url)
    if not form.validate():
        return _page("accounts/login.html", 422, form=form, next_url=next_url)
    user = service.authenticate(form.email.data, form.password.data)
    if user is None:
        db.session.rollback()
        message = _("Adresse e-mail ou mot de passe incorrect.")
        return _page("accounts/login.html", 401, form=form, next_url=next_url, message=message)
    db.session.commit()
    start_session(user, remember=bool(form.remember.data))
    return redirect(next_url or url_for("admin.home"), 303)


@blueprint.post("/logout")
def logout():
    """Log out on this browser (a POST with its CSRF token: a link or an
    image elsewhere cannot log anyone out)."""
    end_session()
    flash(_("Vous êtes déconnecté·e."), "success")
    return redirect(url_for("accounts.login"), 303)


@blueprint.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer never tells whether the address has
    an account."""
    form = ForgotPasswordForm()
    if request.method != "POST":  # GET, or HEAD: show, never act
        return _page("accounts/forgot.html", form=form)
    if not form.validate():
        return _page("accounts/forgot.html", 422, form=form)
    service.request_password_reset(form.email.data)
    db.session.commit()
    return redirect(url_for("accounts.reset_sent"), 303)


@blueprint.get("/password/sent")
def reset_sent():
    """What everyone is told after asking for a reset link."""
    return _page("accounts/reset_sent.html")


def _invalid_link(error: InvalidToken) -> ResponseReturnValue:
    expired = isinstance(error, ExpiredToken)
    return _page("accounts/link_invalid.html", 410 if expired else 404, expired=expired)


@blueprint.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Choose a password through a one-time link (invitation or reset)."""
    try:
        user, purpose = service.check_token(token)
    except InvalidToken as error:
        return _invalid_link(error)
    form = SetPasswordForm()
    context = {"form": form, "token": token, "user": user, "invitation": purpose == Purpose.INVITATION}
    if request.method != "POST":  # GET, or HEAD: show, never act
        return _page("accounts/set_password.html", **context)
    if not form.validate():
        return _page("accounts/set_password.html", 422, **context)
    try:
        user = service.set_password_with_token(token, form.password.data)
    except InvalidToken as error:
        db.session.rollback()
        return _invalid_link(error)
    except service.AccountError as error:
        db.session.rollback()
        form.add_error(error.field, error.message)
        return _page("accounts/set_password.html", 422, **context)
    db.session.commit()
    start_session(user)
    flash(_("Votre mot de passe est enregistré. Bienvenue dans l'espace organisateurs."), "success")
    return redirect(url_for("admin.home"), 303)


@blueprint.errorhandler(CSRFError)
def csrf_failed(_error: CSRFError) -> ResponseReturnValue:
    """A form sent without a valid CSRF token (left open too long, cookies
    blocked): nothing was done; say so in French."""
    return _page("accounts/csrf.html", 400)
