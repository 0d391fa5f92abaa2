"""timers: per-execution periodic task schedules, delayed outbox commands

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "af_task_schedule",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "workflow_execution_id",
            sa.BigInteger(),
            sa.ForeignKey("af_workflow_execution.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("task_name", sa.String(255), nullable=False),
        sa.Column("expression", sa.String(255), nullable=False),
        sa.Column("last_fire_time", sa.BigInteger(), nullable=True),
        sa.Column("next_fire_time", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("workflow_execution_id", "task_name", name="uq_af_task_schedule"),
    )
    op.create_index("ix_af_task_schedule_next", "af_task_schedule", ["next_fire_time"])
    # A START of a retry must not run before its backoff delay has passed.
    op.add_column("af_task_command", sa.Column("not_before", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("af_task_command") as batch:
        batch.drop_column("not_before")
    op.drop_table("af_task_schedule")
