"""webhook subscriptions: secret rotation and disabling

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("webhook_subscriptions") as table:
        table.add_column(sa.Column("previous_secret_key", sa.String(length=255), nullable=True))
        table.add_column(sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False))
        table.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("webhook_subscriptions") as table:
        for column in ("disabled_reason", "consecutive_failures", "previous_secret_expires_at", "previous_secret_key"):
            table.drop_column(column)
