"""Reports: an index for the sign-ups curve of the attendance figures
(registrations by event, creation time and seats: the curve's statement is
an index-only scan on PostgreSQL; see bench/reports.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 01:50:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registrations_event_id_created_at_seats", ["event_id", "created_at", "seats"], unique=False
        )


def downgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_event_id_created_at_seats")
