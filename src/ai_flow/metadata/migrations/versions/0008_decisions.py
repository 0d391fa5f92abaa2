"""decisions: the scheduler's decision log ("why did, or didn't, it run?")

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "af_decision",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("event_offset", sa.BigInteger()),
        sa.Column("event_key", sa.String(1024)),
        sa.Column("namespace", sa.String(255)),
        sa.Column("sender", sa.String(255)),
        sa.Column("event_time", sa.BigInteger()),
        sa.Column(
            "workflow_execution_id",
            sa.BigInteger(),
            sa.ForeignKey("af_workflow_execution.id", ondelete="CASCADE"),
        ),
        sa.Column(
            "workflow_trigger_id",
            sa.BigInteger(),
            sa.ForeignKey("af_workflow_trigger.id", ondelete="CASCADE"),
        ),
        sa.Column("task_name", sa.String(255)),
        sa.Column("rule_index", sa.Integer()),
        sa.Column("condition", sa.String(255)),
        sa.Column("answer", sa.String(8)),
        sa.Column("error", _LONG_TEXT),
        sa.Column("changed", _LONG_TEXT),
        sa.Column("action", sa.String(16)),
        sa.Column("taken", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(1024)),
        sa.Column("started_task_execution_id", sa.BigInteger()),
        sa.Column("stopped_task_execution_id", sa.BigInteger()),
    )
    op.create_index("ix_af_decision_execution", "af_decision", ["workflow_execution_id", "id"])
    op.create_index("ix_af_decision_trigger", "af_decision", ["workflow_trigger_id", "id"])
    op.create_index("ix_af_decision_event", "af_decision", ["event_offset"])
    with op.batch_alter_table("af_scheduler_offset") as batch:
        batch.add_column(
            sa.Column("unreached_events", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("af_scheduler_offset") as batch:
        batch.drop_column("unreached_events")
    op.drop_table("af_decision")
