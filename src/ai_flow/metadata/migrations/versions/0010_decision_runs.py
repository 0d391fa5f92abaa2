"""decision runs: consecutive events with the same answer of one rule share a row

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("af_decision") as batch:
        batch.add_column(sa.Column("last_offset", sa.BigInteger()))
        batch.add_column(sa.Column("event_count", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("af_decision") as batch:
        batch.drop_column("event_count")
        batch.drop_column("last_offset")
