"""Back-office check-in and personal-data duties: each organisation's
retention of personal data (organisations.retention_months, 1 to 12 months
after the event, 12 by default as the consent text says). Check-ins and
walk-ins already have their tables (0001).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 01:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_months", sa.Integer(), server_default="12", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_organisations_retention_months_range"), "retention_months BETWEEN 1 AND 12"
        )


def downgrade():
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organisations_retention_months_range"), type_="check")
        batch_op.drop_column("retention_months")
