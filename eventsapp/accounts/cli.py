"""``flask create-organiser EMAIL --organisation SLUG --role owner``.

Creates the account if needed, makes it a member of the organisation with
the role, and prints a one-time link to choose a password (nothing is sent
by e-mail): the way to open the back-office to a first owner, who then
invites the others from the members page.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from eventsapp.accounts.models import Role
from eventsapp.extensions import db


@click.command("create-organiser")
@click.argument("email")
@click.option(
    "--organisation", "organisation_slug", required=True, help="Identifiant (slug) de la structure."
)
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.OWNER.value,
    show_default=True,
    help="owner : responsable ; editor : éditeur·rice ; checkin : accueil / émargement.",
)
@click.option("--name", "full_name", default=None, help="Prénom et nom (sinon : le début de l'adresse).")
@with_appcontext
def create_organiser_command(email: str, organisation_slug: str, role: str, full_name: str | None) -> None:
    """Create (or update) an organiser and print a one-time password link."""
    from eventsapp.accounts.emails import set_password_url
    from eventsapp.accounts.service import AccountError, create_organiser
    from eventsapp.accounts.tokens import MAX_AGES, Purpose

    try:
        membership = create_organiser(email, organisation_slug, Role(role), full_name)
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    user = membership.user
    purpose = Purpose.RESET if user.has_password else Purpose.INVITATION
    link = set_password_url(user, purpose)
    organisation = membership.organisation.name
    db.session.commit()
    click.echo(f"{user.email} : {membership.role.label} de « {organisation} ».")
    hours = int(MAX_AGES[purpose].total_seconds() // 3600)
    validity = f"{hours // 24} jours" if hours >= 48 else f"{hours} h"
    click.echo(f"Lien à usage unique pour choisir le mot de passe (valable {validity}) :")
    click.echo(link)
