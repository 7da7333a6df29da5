"""One's own account in the back-office: the organisations one belongs to
(and switching between them), and changing one's password.

Needs a login only (``Permission.ACCOUNT``): a person removed from every
organisation can still change their password or log out.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from eventsapp.accounts import service as accounts
from eventsapp.accounts.forms import ChangePasswordForm, SwitchOrganisationForm
from eventsapp.accounts.login import ORGANISATION_SESSION_KEY, renew_session, safe_next_url
from eventsapp.accounts.permissions import Permission
from eventsapp.admin.access import requires
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.text import parse_id

blueprint = admin_blueprint("admin_account", __name__)


def _account_page(form: ChangePasswordForm, status: int = 200):
    return render_template("admin/account.html", form=form), status


@blueprint.get("/account/")
@requires(Permission.ACCOUNT)
def account() -> ResponseReturnValue:
    """Name, address, organisations and roles; the password form."""
    return _account_page(ChangePasswordForm())


@blueprint.post("/account/password")
@requires(Permission.ACCOUNT)
def change_password() -> ResponseReturnValue:
    """Change one's password: every other session of the account ends, this
    one goes on."""
    form = ChangePasswordForm()
    if not form.validate():
        return _account_page(form, 422)
    try:
        user = accounts.change_password(current_user.id, form.current_password.data, form.password.data)
    except accounts.AccountError as error:
        db.session.rollback()
        form.add_error(error.field, error.message)
        return _account_page(form, 422)
    db.session.commit()
    renew_session(user)
    flash(_("Votre mot de passe est changé. Vos autres sessions sont déconnectées."), "success")
    return redirect(url_for("admin_account.account"), 303)


@blueprint.get("/organisations/")
@requires(Permission.ACCOUNT)
def organisations() -> ResponseReturnValue:
    """The organisations one belongs to, each with a button to work in it."""
    return render_template("admin/organisations.html", form=SwitchOrganisationForm())


@blueprint.post("/organisations/switch")
@requires(Permission.ACCOUNT)
def switch_organisation() -> ResponseReturnValue:
    """Work in another of one's organisations (kept in the session)."""
    form = SwitchOrganisationForm()
    organisation_id = parse_id(request.form.get("organisation_id"))
    if not form.validate() or organisation_id is None:
        flash(_("Choisissez une structure dans la liste."), "error")
        return redirect(url_for("admin_account.organisations"), 303)
    try:
        membership = accounts.switch_organisation(current_user.id, organisation_id)
    except NotFound:
        db.session.rollback()
        raise
    session[ORGANISATION_SESSION_KEY] = membership.organisation_id
    flash(_("Vous travaillez maintenant pour %(name)s.", name=membership.organisation.name), "success")
    # Back where the switch was asked for (a scanned QR code), on this site only.
    return redirect(safe_next_url(request.form.get("next")) or url_for("admin.home"), 303)
