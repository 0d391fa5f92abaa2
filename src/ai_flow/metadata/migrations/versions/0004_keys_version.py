"""scheduler: a version of the set of event keys anything running expects

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("af_scheduler_offset") as batch:
        batch.add_column(
            sa.Column("keys_version", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("af_scheduler_offset") as batch:
        batch.drop_column("keys_version")
