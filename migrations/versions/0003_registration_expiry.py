"""Double opt-in: when a pending registration releases its seats
(registrations.pending_expires_at), and how long it may hold them per event
(events.pending_expiry_minutes, 24 h by default); the salt from which the
private link's token is derived (registrations.token_salt).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:00:32.854315

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pending_expiry_minutes", sa.Integer(), server_default="1440", nullable=False)
        )

    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("token_salt", sa.String(length=64), server_default="", nullable=False))
        batch_op.create_index(
            "ix_registrations_status_pending_expires_at", ["status", "pending_expires_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_status_pending_expires_at")
        batch_op.drop_column("token_salt")
        batch_op.drop_column("pending_expires_at")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("pending_expiry_minutes")
