"""scheduler: the scheduling lease (owner, epoch as fencing token, expiry in DB time)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("af_scheduler_offset") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(255)))
        batch.add_column(
            sa.Column("lease_epoch", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("lease_expires", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("af_scheduler_offset") as batch:
        batch.drop_column("lease_expires")
        batch.drop_column("lease_epoch")
        batch.drop_column("lease_owner")
