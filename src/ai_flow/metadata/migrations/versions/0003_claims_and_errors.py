"""task claims and executor handles, stop reasons, scheduler errors

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _task_columns() -> list[sa.Column]:
    return [
        # The try a task runtime claimed through the internal RPC, and who claimed it.
        sa.Column("claimed_try", sa.Integer(), nullable=True),
        sa.Column("claim_token", sa.String(64), nullable=True),
        sa.Column("try_start_time", sa.BigInteger(), nullable=True),
        # The executor's opaque handle of the process that runs (or ran) try `handle_try`.
        sa.Column("handle", LongText, nullable=True),
        sa.Column("handle_try", sa.Integer(), nullable=True),
        sa.Column("stop_reason", sa.String(16), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("af_task_execution") as batch:
        for column in _task_columns():
            batch.add_column(column)
    op.add_column("af_task_command", sa.Column("reason", sa.String(16), nullable=True))
    op.create_table(
        "af_scheduler_error",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("event_offset", sa.BigInteger(), nullable=False),
        sa.Column("event_key", sa.String(1024), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=True),
        sa.Column("workflow_execution_id", sa.BigInteger(), nullable=True),
        sa.Column("error", LongText, nullable=False),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("event_offset", name="uq_af_scheduler_error_offset"),
    )


def downgrade() -> None:
    op.drop_table("af_scheduler_error")
    with op.batch_alter_table("af_task_command") as batch:
        batch.drop_column("reason")
    with op.batch_alter_table("af_task_execution") as batch:
        for column in reversed(_task_columns()):
            batch.drop_column(column.name)
