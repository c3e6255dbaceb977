"""indexes for the dashboard's «today» figures

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = [
    ("idx_batch_created_at", "batches", "created_at"),
    ("idx_batch_closed_at", "batches", "closed_at"),
    ("idx_product_created_at", "products", "created_at"),
    ("idx_product_aggregated_at", "products", "aggregated_at"),
]


def upgrade():
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
