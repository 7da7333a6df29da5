"""The organisers' back-office, under ``/admin`` (login required).

- ``access``: the permission layer every view goes through (``@requires``,
  ``get_own_event``, ``is_coordinator_of``…);
- ``blueprints``: ``admin_blueprint``, what every back-office blueprint shares;
- ``views`` (home, events, check-in, coordination), ``members``, ``account``.

Logging in and passwords are ``eventsapp.accounts`` (``/account/…``).
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every back-office blueprint (and the account pages), and the
    guard of every ``/admin`` URL."""
    from eventsapp.accounts.views import blueprint as accounts
    from eventsapp.admin.access import guard_admin_paths
    from eventsapp.admin.account import blueprint as admin_account
    from eventsapp.admin.members import blueprint as admin_members
    from eventsapp.admin.views import blueprint as admin

    app.register_blueprint(accounts)
    app.register_blueprint(admin)
    app.register_blueprint(admin_account)
    app.register_blueprint(admin_members)
    guard_admin_paths(app)
