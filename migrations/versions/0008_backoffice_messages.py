"""Back-office messages: organiser_messages, one row per message an
organiser sends to (part of) an event's registrants; each recipient's
e-mail is an outbox row naming the message in its payload.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 01:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organiser_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(length=500), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("recipients_count", sa.Integer(), nullable=False),
        sa.Column("send_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_organiser_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_organiser_messages_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_messages")),
        sa.UniqueConstraint("send_key", name=op.f("uq_organiser_messages_send_key")),
    )
    with op.batch_alter_table("organiser_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organiser_messages_event_id"), ["event_id"], unique=False)


def downgrade():
    with op.batch_alter_table("organiser_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organiser_messages_event_id"))
    op.drop_table("organiser_messages")
