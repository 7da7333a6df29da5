"""eventsapp: the shared agenda and sign-up service of the ESS networks.

``create_app`` wires the pieces together through small ``register_*`` helpers;
nothing builds an app at import time except ``wsgi.py`` and ``celery_worker.py``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from eventsapp.config import PROJECT_ROOT, Config


def create_app(config: object | None = None) -> Flask:
    """Build the Flask app; ``config`` defaults to ``Config()`` read from the environment."""
    config = config if config is not None else Config()
    instance_path = Path(config.INSTANCE_PATH)
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(config)
    instance_path.mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_celery(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extensions, the page-cache invalidation, lock and outbox
    dispatch hooks, the mailer, rate limits, the check that posts are forms,
    organisers' logins and SQLite settings."""
    from eventsapp import models  # noqa: F401  (every table known to the metadata)
    from eventsapp.accounts.login import init_login
    from eventsapp.caching import install_invalidation_hooks
    from eventsapp.extensions import babel, cache, csrf, db, migrate
    from eventsapp.locking import install_lock_hooks
    from eventsapp.notifications.dispatch import install_dispatch_hooks
    from eventsapp.notifications.transport import init_mailer
    from eventsapp.ratelimit import init_rate_limits
    from eventsapp.request_bodies import install_body_check
    from eventsapp.sqlite import configure_sqlite_connections

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    init_rate_limits(app)  # before CSRF: a forged post is counted too
    install_body_check(app)  # a POST carries a form, not JSON nor files
    csrf.init_app(app)
    init_login(app)
    babel.init_app(app)
    cache.init_app(app)
    install_invalidation_hooks()
    install_lock_hooks()
    init_mailer(app)
    install_dispatch_hooks()
    with app.app_context():
        configure_sqlite_connections(db.engine)


def register_celery(app: Flask) -> None:
    """Create the Celery app bound to this Flask app (``app.extensions["celery"]``)."""
    from eventsapp.celery_app import celery_init_app

    celery_init_app(app)


def register_blueprints(app: Flask) -> None:
    """The URL converters and every feature's blueprint."""
    from eventsapp.admin import register as register_admin
    from eventsapp.api.views import blueprint as api
    from eventsapp.calendars.views import blueprint as calendars
    from eventsapp.catalog.views import blueprint as catalog
    from eventsapp.converters import IdConverter, SlugConverter
    from eventsapp.health.views import blueprint as health
    from eventsapp.notifications.views import blueprint as notifications
    from eventsapp.registrations.signup_views import blueprint as signup
    from eventsapp.registrations.views import blueprint as registrations
    from eventsapp.reminders.views import blueprint as reminders
    from eventsapp.reports.public_views import blueprint as reports_public

    app.url_map.converters["slug"] = SlugConverter
    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(calendars)
    app.register_blueprint(catalog)
    app.register_blueprint(health)
    app.register_blueprint(notifications)
    app.register_blueprint(registrations)
    app.register_blueprint(reminders)
    app.register_blueprint(signup)
    app.register_blueprint(api)
    app.register_blueprint(reports_public)
    register_admin(app)  # /account/… and the back-office's /admin/… blueprints


def register_error_handlers(app: Flask) -> None:
    """French pages for HTTP errors and unexpected exceptions."""
    from eventsapp.errors import register_http_error_pages

    register_http_error_pages(app)


def register_template_helpers(app: Flask) -> None:
    """Template filters (French dates, URLs, paragraphs) and globals."""
    from eventsapp.templating import install_template_helpers

    install_template_helpers(app)


def register_cli(app: Flask) -> None:
    """``flask seed-demo``, ``flask reminders``, ``flask create-organiser``;
    Flask-Migrate adds ``flask db``."""
    from eventsapp.accounts.cli import create_organiser_command
    from eventsapp.demo.cli import seed_demo_command
    from eventsapp.reminders.cli import reminders_cli

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_organiser_command)
    app.cli.add_command(reminders_cli)
