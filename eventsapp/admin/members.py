"""Members of the current organisation (owners only): list, invite, change a
role, remove (never the last owner), send an invitation again.

parse (``accounts.forms``) → ``accounts.service`` → commit → redirect; a
refusal comes back beside the field it is about, with a 422.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from eventsapp.accounts import service as accounts
from eventsapp.accounts.forms import ConfirmForm, InviteForm, RoleForm
from eventsapp.accounts.models import Membership, Role
from eventsapp.accounts.permissions import Permission
from eventsapp.admin.access import current_organisation_id, get_own_membership, requires
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.extensions import db

blueprint = admin_blueprint("admin_members", __name__, "/members")


def _role_form(membership: Membership, formdata: object = None) -> RoleForm:
    # One form per member on the page: a prefix keeps their ids apart.
    return RoleForm(formdata=formdata, prefix=f"m{membership.id}", data={"role": membership.role.value})


def _members_page(
    invite_form: InviteForm | None = None,
    failed_role_form: tuple[int, RoleForm] | None = None,
    message: str | None = None,
    status: int = 200,
):
    members = accounts.organisation_members(current_organisation_id())
    role_forms = {membership.id: _role_form(membership) for membership in members}
    if failed_role_form is not None:
        role_forms[failed_role_form[0]] = failed_role_form[1]
    return (
        render_template(
            "admin/members.html",
            members=members,
            role_forms=role_forms,
            invite_form=invite_form or InviteForm(formdata=None),
            confirm_form=ConfirmForm(),
            message=message,
        ),
        status,
    )


@blueprint.get("/")
@requires(Permission.MEMBERS)
def members() -> ResponseReturnValue:
    return _members_page()


@blueprint.post("/invite")
@requires(Permission.MEMBERS)
def invite() -> ResponseReturnValue:
    """Invite a person by e-mail (an account is created if needed)."""
    form = InviteForm()
    if not form.validate():
        return _members_page(invite_form=form, status=422)
    try:
        membership = accounts.invite_member(
            current_organisation_id(),
            current_user.id,
            form.email.data,
            form.full_name.data,
            Role(form.role.data),
        )
    except accounts.AccountError as error:
        db.session.rollback()
        attached = form.add_error(error.field, error.message)
        return _members_page(invite_form=form, message=None if attached else error.message, status=422)
    email = membership.user.email
    db.session.commit()
    flash(_("Invitation envoyée à %(email)s.", email=email), "success")
    return redirect(url_for("admin_members.members"), 303)


@blueprint.post("/<int:membership_id>/role")
@requires(Permission.MEMBERS)
def change_role(membership_id: int) -> ResponseReturnValue:
    """Give a member another role."""
    membership = get_own_membership(membership_id)
    form = _role_form(membership, request.form)
    if not form.validate():
        return _members_page(failed_role_form=(membership_id, form), status=422)
    try:
        membership = accounts.change_role(
            current_organisation_id(), current_user.id, membership_id, Role(form.role.data)
        )
    except accounts.AccountError as error:
        db.session.rollback()
        form.add_error("role", error.message)
        return _members_page(failed_role_form=(membership_id, form), status=422)
    name, label = membership.user.full_name, membership.role.label
    db.session.commit()
    flash(_("%(name)s est maintenant : %(role)s.", name=name, role=label), "success")
    return redirect(url_for("admin_members.members"), 303)


@blueprint.route("/<int:membership_id>/remove", methods=["GET", "POST"])
@requires(Permission.MEMBERS)
def remove(membership_id: int) -> ResponseReturnValue:
    """GET asks for confirmation; POST takes the person out of the organisation."""
    membership = get_own_membership(membership_id)
    form = ConfirmForm()
    if request.method != "POST":  # GET, or HEAD: show, never act
        return render_template("admin/member_remove.html", member=membership, form=form)
    if not form.validate():
        return render_template("admin/member_remove.html", member=membership, form=form), 400
    try:
        user = accounts.remove_member(current_organisation_id(), current_user.id, membership_id)
    except accounts.AccountError as error:
        db.session.rollback()
        return _members_page(message=error.message, status=422)
    name = user.full_name
    db.session.commit()
    flash(_("%(name)s ne fait plus partie de la structure.", name=name), "success")
    return redirect(url_for("admin.home" if user.id == current_user.id else "admin_members.members"), 303)


@blueprint.post("/<int:membership_id>/resend")
@requires(Permission.MEMBERS)
def resend(membership_id: int) -> ResponseReturnValue:
    """Send the invitation again (a new link; the old one still works until
    a password is chosen or it expires)."""
    get_own_membership(membership_id)
    try:
        membership = accounts.resend_invitation(current_organisation_id(), current_user.id, membership_id)
    except accounts.AccountError as error:
        db.session.rollback()
        return _members_page(message=error.message, status=422)
    email = membership.user.email
    db.session.commit()
    flash(_("Invitation envoyée à nouveau à %(email)s.", email=email), "success")
    return redirect(url_for("admin_members.members"), 303)
