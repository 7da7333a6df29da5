"""``flask seed-demo``: load the demo data once (running it again changes nothing)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from eventsapp.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo Mois de l'ESS of the current year (idempotent)."""
    from eventsapp.demo.seed import seed_demo

    created = seed_demo()
    db.session.commit()
    if created:
        click.echo("Données de démonstration chargées.")
    else:
        click.echo("Données de démonstration déjà présentes : rien à faire.")
