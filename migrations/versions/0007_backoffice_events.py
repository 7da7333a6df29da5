"""Back-office events: the review trail of events submitted to a campaign
that requires approval (event_reviews: submitted, withdrawn, approved,
returned with a comment).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 01:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_event_reviews_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_event_reviews_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_reviews_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_reviews")),
    )
    with op.batch_alter_table("event_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_event_reviews_event_id_created_at", ["event_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("event_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_event_reviews_event_id_created_at")
    op.drop_table("event_reviews")
