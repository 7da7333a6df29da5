"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from eventsapp.extensions import db


def test_models_and_migrations_agree(app):
    """The session's schema was built by ``flask db upgrade``; autogenerate
    against it must find nothing to do (types included)."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
