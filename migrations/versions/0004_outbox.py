"""The outbox (outbox_messages): e-mails and Celery tasks written in the
transaction that causes them and dispatched after its commit, each with a
unique idempotency key; indexes for the relay's scans of rows still pending
and of e-mails dispatched but not sent.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 00:09:00.686006

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("email_kind", sa.String(length=32), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("task_name", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'email' AND email_kind IS NOT NULL) OR (kind = 'task' AND task_name IS NOT NULL)",
            name=op.f("ck_outbox_messages_kind_fields"),
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_outbox_messages_registration_id_registrations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_messages_idempotency_key")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_messages_registration_id"), ["registration_id"], unique=False)
        batch_op.create_index("ix_outbox_messages_status_created_at", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_outbox_messages_status_dispatched_at", ["status", "dispatched_at"], unique=False)


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_status_dispatched_at")
        batch_op.drop_index("ix_outbox_messages_status_created_at")
        batch_op.drop_index(batch_op.f("ix_outbox_messages_registration_id"))

    op.drop_table("outbox_messages")
