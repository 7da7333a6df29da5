"""``flask seed-demo``: load the demo data once (running it again changes nothing).

In the embedded mode (or debug mode) it also makes the back-office's demo
accounts and prints how to log in; elsewhere it says why it does not.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from eventsapp.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo Mois de l'ESS of the current year (idempotent)."""
    from eventsapp.demo.accounts import DEMO_PASSWORD, demo_accounts_allowed, seed_demo_accounts
    from eventsapp.demo.seed import seed_demo

    created = seed_demo()
    db.session.commit()
    if created:
        click.echo("Données de démonstration chargées.")
    else:
        click.echo("Données de démonstration déjà présentes : rien à faire.")
    if not demo_accounts_allowed(current_app):
        click.echo(
            "Comptes organisateurs de démonstration non créés : ils ont un mot de passe public, "
            "ils ne sont créés qu'en mode embarqué (e-mails écrits dans instance/mail) ou en mode debug. "
            "Créez un compte avec : flask create-organiser EMAIL --organisation SLUG --role owner"
        )
        return
    accounts = seed_demo_accounts()
    db.session.commit()
    login_url = current_app.config["PUBLIC_URL"] + "/account/login"
    click.echo(f"Espace organisateurs : {login_url}")
    for email, roles, was_created in accounts:
        note = "" if was_created else " (compte déjà présent : sauf si vous l'avez changé)"
        click.echo(f"  {email} — {roles} — mot de passe « {DEMO_PASSWORD} »{note}")
