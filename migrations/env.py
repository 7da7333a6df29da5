"""Alembic environment, driven by Flask-Migrate and the app's metadata."""

import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from eventsapp.db import UTCDateTime

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Write our portable column types in plain SQLAlchemy terms, so that
    migrations do not import application code that may change later."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, sa.Enum) and not obj.native_enum:
        return f"sa.String(length={obj.length})"
    return False


def _configure_kwargs() -> dict:
    return {
        "target_metadata": target_db.metadata,
        "render_item": render_item,
        "compare_type": True,
        # SQLite cannot ALTER most things: rebuild tables in batch mode.
        "render_as_batch": True,
    }


def run_migrations_offline() -> None:
    context.configure(url=str(target_db.engine.url), literal_binds=True, **_configure_kwargs())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with target_db.engine.connect() as connection:
        context.configure(connection=connection, **{**conf_args, **_configure_kwargs()})
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
