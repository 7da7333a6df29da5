"""Personal data (RGPD) of the current organisation's registrants: owners
only (``Permission.PRIVACY``).

- ``/admin/privacy/``: the retention setting and a search by e-mail;
- ``/admin/privacy/person`` (POST, the typed address; or GET with
  ``registration_id``, the link from a registrant's line): the person's
  registrations to the organisation's events, with "export" and "erase";
- ``/admin/privacy/export`` (POST): a JSON download of their data;
- ``/admin/privacy/erase`` (POST, with a confirmation box): anonymise them;
- ``/admin/privacy/retention`` (POST).

Addresses travel in POST bodies, not URLs (no personal data in access logs
or the browser's history); a registrant's line links by registration id.
"""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from eventsapp.accounts.permissions import Permission
from eventsapp.admin import privacy_service as service
from eventsapp.admin.access import current_membership, current_organisation_id, requires
from eventsapp.admin.blueprints import admin_blueprint
from eventsapp.admin.privacy_forms import EraseForm, PersonForm, PersonSearchForm, RetentionForm
from eventsapp.db import now_utc
from eventsapp.errors import NotFound
from eventsapp.extensions import db
from eventsapp.text import parse_id

blueprint = admin_blueprint("admin_privacy", __name__, "/privacy")


def _home(
    search_form: PersonSearchForm | None = None,
    retention_form: RetentionForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    organisation = current_membership().organisation
    if retention_form is None:
        retention_form = RetentionForm(formdata=None, data={"months": str(organisation.retention_months)})
    return (
        render_template(
            "admin/privacy/home.html",
            organisation=organisation,
            search_form=search_form or PersonSearchForm(formdata=None),
            retention_form=retention_form,
        ),
        status,
    )


def _person_page(email: str, erase_form: EraseForm | None = None, status: int = 200) -> ResponseReturnValue:
    registrations = service.person_registrations(current_organisation_id(), email)
    return (
        render_template(
            "admin/privacy/person.html",
            email=service.normalise_email(email),
            registrations=registrations,
            erase_form=erase_form or EraseForm(formdata=None, data={"email": email}),
        ),
        status,
    )


@blueprint.get("/")
@requires(Permission.PRIVACY)
def home() -> ResponseReturnValue:
    return _home()


@blueprint.get("/person")
@requires(Permission.PRIVACY)
def person_from_registration() -> ResponseReturnValue:
    """From a registrant's line: the person behind registration ``registration_id``."""
    registration_id = parse_id(request.args.get("registration_id"))
    if registration_id is None:
        flash(_("Cherchez la personne par son adresse e-mail."), "error")
        return redirect(url_for("admin_privacy.home"), 303)
    registration = service.registration_of(current_organisation_id(), registration_id)
    return _person_page(registration.email)


@blueprint.post("/person")
@requires(Permission.PRIVACY)
def person() -> ResponseReturnValue:
    """The registrations of the typed address (a POST: the address stays out of URLs)."""
    form = PersonSearchForm()
    if not form.validate():
        return _home(search_form=form, status=422)
    return _person_page(form.email.data)


@blueprint.post("/export")
@requires(Permission.PRIVACY)
def export() -> ResponseReturnValue:
    """The person's data as a JSON file (right of access and portability)."""
    form = PersonForm()
    if not form.validate():
        flash(_("Cherchez d'abord la personne par son adresse e-mail."), "error")
        return redirect(url_for("admin_privacy.home"), 303)
    data = service.export_person(current_organisation_id(), form.email.data)
    stamp = now_utc().strftime("%Y%m%d")
    response = Response(
        json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json; charset=utf-8"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="donnees-personnelles-{stamp}.json"'
    # The blueprint sets it too; said here because this file must never be kept.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.post("/erase")
@requires(Permission.PRIVACY)
def erase() -> ResponseReturnValue:
    """Erase the person's data in the organisation's events (figures kept)."""
    form = EraseForm()
    if not form.validate():
        if form.email.errors:
            flash(_("Cherchez d'abord la personne par son adresse e-mail."), "error")
            return redirect(url_for("admin_privacy.home"), 303)
        return _person_page(form.email.data, erase_form=form, status=422)
    count = service.erase_person(current_organisation_id(), form.email.data)
    db.session.commit()
    if count:
        flash(
            ngettext(
                "Les données personnelles de %(num)s inscription ont été effacées ; "
                "elle reste comptée dans les chiffres.",
                "Les données personnelles de %(num)s inscriptions ont été effacées ; "
                "elles restent comptées dans les chiffres.",
                count,
            ),
            "success",
        )
    else:
        flash(_("Aucune donnée à effacer pour cette adresse dans vos événements."), "error")
    return redirect(url_for("admin_privacy.home"), 303)


@blueprint.post("/retention")
@requires(Permission.PRIVACY)
def retention() -> ResponseReturnValue:
    """How long the organisation keeps its registrants' data after an event."""
    form = RetentionForm()
    if not form.validate():
        return _home(retention_form=form, status=422)
    try:
        organisation = service.set_retention(current_organisation_id(), int(form.months.data))
    except (service.PrivacyError, NotFound) as error:
        db.session.rollback()
        form.add_error("months", error.message)
        return _home(retention_form=form, status=422)
    months = organisation.retention_months
    db.session.commit()
    flash(
        _(
            "Les données des participant·es seront effacées %(months)s mois après chaque événement.",
            months=months,
        ),
        "success",
    )
    return redirect(url_for("admin_privacy.home"), 303)
