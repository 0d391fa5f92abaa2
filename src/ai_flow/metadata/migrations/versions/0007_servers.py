"""servers: the AIFlow servers serving this database, so task runtimes fail over

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "af_server",
        sa.Column("owner", sa.String(255), primary_key=True),
        sa.Column("internal_address", sa.String(255), nullable=False),
        sa.Column("rpc_address", sa.String(255), nullable=False),
        sa.Column("started", sa.BigInteger(), nullable=False),
        sa.Column("seen", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("af_server")
