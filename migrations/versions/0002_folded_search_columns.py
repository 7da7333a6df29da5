"""Folded copies of searchable text (events.commune_key, events.search_text,
organisations.name_folded), so the agenda's search and commune filter ignore
accents and case on SQLite and PostgreSQL alike. Existing rows are backfilled.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:57:33.837584

"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def _fold(text):
    """A frozen copy of eventsapp.text.fold as it was when this migration was written."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    stripped = stripped.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return _NOT_WORD.sub(" ", stripped).strip()


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("commune_key", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch_op.drop_index(batch_op.f("ix_events_commune"))
        batch_op.create_index("ix_events_commune_key", ["commune_key"], unique=False)

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_folded", sa.String(length=200), server_default="", nullable=False)
        )

    connection = op.get_bind()
    events = sa.table(
        "events",
        *(sa.column(name) for name in ("id", "title", "summary", "description", "venue_name", "commune")),
        sa.column("commune_key"),
        sa.column("search_text"),
    )
    for row in connection.execute(sa.select(events)).mappings().all():
        text = " ".join(
            row[name] or "" for name in ("title", "summary", "description", "venue_name", "commune")
        )
        connection.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(commune_key=_fold(row["commune"]), search_text=_fold(text))
        )
    organisations = sa.table("organisations", sa.column("id"), sa.column("name"), sa.column("name_folded"))
    for row in connection.execute(sa.select(organisations)).mappings().all():
        connection.execute(
            organisations.update()
            .where(organisations.c.id == row["id"])
            .values(name_folded=_fold(row["name"]))
        )


def downgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("name_folded")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_commune_key")
        batch_op.create_index(batch_op.f("ix_events_commune"), ["commune"], unique=False)
        batch_op.drop_column("search_text")
        batch_op.drop_column("commune_key")
