"""The demo accounts of the back-office (``flask seed-demo``): an
organiser who also coordinates the campaign, and a check-in volunteer,
with a published password, in the embedded mode or debug mode only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from eventsapp.accounts.models import Membership, Role, User
from eventsapp.accounts.passwords import hash_password
from eventsapp.demo import data
from eventsapp.extensions import db
from eventsapp.organisations.models import Organisation

# A fixed password, printed by ``flask seed-demo`` and written in the README:
# acceptable only because these accounts are created in the embedded mode
# (mail written to files) or in debug mode, never on a production instance.
DEMO_PASSWORD = "demo-mois-ess"  # noqa: S105 - documented, embedded demo only
# (address, name, [(organisation slug, role)]): an owner who is also an
# editor of the CRESS (the campaign's coordinator: two organisations to switch
# between), and a check-in-only volunteer.
DEMO_ACCOUNTS = [
    (
        "organisatrice@example.org",
        "Claire Demo",
        [("club-ess-sarthe", Role.OWNER), (data.CAMPAIGN_COORDINATOR, Role.EDITOR)],
    ),
    ("accueil@example.org", "Karim Demo", [("club-ess-sarthe", Role.CHECKIN)]),
]


def demo_accounts_allowed(app: Flask) -> bool:
    """The demo accounts (with a published password) exist only in the
    embedded mode (no ``DATABASE_URL``) or in debug mode: never on a server."""
    return bool(app.config.get("EMBEDDED_MODE")) or app.debug


def seed_demo_accounts() -> list[tuple[str, str, bool]]:
    """Create the demo accounts and their memberships when missing; flushed,
    not committed. An existing account keeps its password (its owner may
    have changed it). Returns (address, roles in words, created) per
    account. Organisations missing (no demo loaded) are skipped."""
    results = []
    for email, full_name, roles in DEMO_ACCOUNTS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        created = user is None
        if created:
            user = User(email=email, full_name=full_name, password_hash=hash_password(DEMO_PASSWORD))
            db.session.add(user)
            db.session.flush()
        described = []
        for slug, role in roles:
            organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
            if organisation is None:
                continue
            exists = db.session.scalar(
                sa.select(Membership.id).where(
                    Membership.user_id == user.id, Membership.organisation_id == organisation.id
                )
            )
            if exists is None:
                db.session.add(Membership(user=user, organisation=organisation, role=role))
            described.append(f"{role.label} de « {organisation.name} »")
        results.append((email, ", ".join(described), created))
    db.session.flush()
    return results
