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
    from eventsapp.admin.checkin import blueprint as admin_checkin
    from eventsapp.admin.event_parts import blueprint as admin_event_parts
    from eventsapp.admin.event_reminders import blueprint as _rules  # noqa: F401 - its routes, on admin_event_parts
    from eventsapp.admin.events import blueprint as admin_events
    from eventsapp.admin.exports import blueprint as admin_exports
    from eventsapp.admin.members import blueprint as admin_members
    from eventsapp.admin.messages import blueprint as admin_messages
    from eventsapp.admin.privacy import blueprint as admin_privacy
    from eventsapp.admin.registrants import blueprint as admin_registrants
    from eventsapp.admin.views import blueprint as admin
    from eventsapp.reports.views import blueprint as admin_reports

    app.register_blueprint(accounts)
    app.register_blueprint(admin)
    app.register_blueprint(admin_account)
    app.register_blueprint(admin_checkin)
    app.register_blueprint(admin_events)
    app.register_blueprint(admin_event_parts)
    app.register_blueprint(admin_members)
    app.register_blueprint(admin_privacy)
    # Registrants (list, person, exports) and messages to them.
    app.register_blueprint(admin_registrants)
    app.register_blueprint(admin_exports)
    app.register_blueprint(admin_messages)
    app.register_blueprint(admin_reports)  # figures: dashboards, exports, bilan
    guard_admin_paths(app)
