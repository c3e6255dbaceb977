"""webhook deliveries: the event log as outbox, delivery state and every attempt

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WAITING = "status IN ('queued', 'sending', 'retrying')"


def upgrade():
    with op.batch_alter_table("events") as table:
        table.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
    # What was logged before webhooks could be sent is history, not news: never deliver it.
    op.execute("UPDATE events SET dispatched_at = occurred_at")
    op.create_index(
        "idx_event_undispatched",
        "events",
        ["id"],
        postgresql_where=sa.text("dispatched_at IS NULL"),
        sqlite_where=sa.text("dispatched_at IS NULL"),
    )

    op.execute("DELETE FROM webhook_deliveries")  # nothing could have made one before this revision
    with op.batch_alter_table("webhook_deliveries") as table:
        table.add_column(sa.Column("event_id", BIG_ID, nullable=True))
        table.add_column(sa.Column("message_id", sa.String(length=64), nullable=False))
        table.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("queue_job_id", sa.String(length=64), nullable=True))
        table.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        table.alter_column("status", server_default=None)
        table.drop_column("response_body")  # each attempt keeps its own
        table.create_unique_constraint("uq_delivery_subscription_event", ["subscription_id", "event_id"])
    op.create_index(
        "idx_delivery_waiting",
        "webhook_deliveries",
        ["status", "next_attempt_at"],
        postgresql_where=sa.text(WAITING),
    )

    op.create_table(
        "webhook_attempts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("delivery_id", BIG_ID, nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["webhook_deliveries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("idx_attempt_delivery", "webhook_attempts", ["delivery_id", "id"])


def downgrade():
    op.drop_table("webhook_attempts")
    op.drop_index("idx_delivery_waiting", table_name="webhook_deliveries")
    with op.batch_alter_table("webhook_deliveries") as table:
        table.drop_constraint("uq_delivery_subscription_event", type_="unique")
        table.alter_column("status", server_default="pending")
        table.add_column(sa.Column("response_body", sa.Text(), nullable=True))
        for column in ("next_attempt_at", "last_attempt_at", "queue_job_id", "queued_at", "message_id", "event_id"):
            table.drop_column(column)
    op.drop_index("idx_event_undispatched", table_name="events")
    with op.batch_alter_table("events") as table:
        table.drop_column("dispatched_at")
