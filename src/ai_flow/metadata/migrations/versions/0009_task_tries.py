"""task tries: the tries of a task execution that ended and were retried

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "af_task_try",
        sa.Column(
            "task_execution_id",
            sa.BigInteger(),
            sa.ForeignKey("af_task_execution.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("try_number", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("begin_date", sa.BigInteger()),
        sa.Column("end_date", sa.BigInteger(), nullable=False),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer()),
        sa.Column("error", _LONG_TEXT),
    )


def downgrade() -> None:
    op.drop_table("af_task_try")
