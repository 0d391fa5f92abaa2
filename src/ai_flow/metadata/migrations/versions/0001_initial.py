"""namespaces, workflows, snapshots, executions, schedules, triggers, rule state, outbox

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from notification_service.util.clock import now_ms

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", Id, primary_key=True, autoincrement=True)


def _fk(column: str, target: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        column, sa.BigInteger(), sa.ForeignKey(target, ondelete="CASCADE"), nullable=nullable
    )


def _ms(column: str, nullable: bool = False) -> sa.Column:
    return sa.Column(column, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    namespace = op.create_table(
        "af_namespace",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("properties", LongText),
        _ms("create_time"),
    )
    op.bulk_insert(namespace, [{"name": "default", "properties": None, "create_time": now_ms()}])
    op.create_table(
        "af_workflow",
        _id(),
        sa.Column(
            "namespace",
            sa.String(255),
            sa.ForeignKey("af_namespace.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        _ms("create_time"),
        _ms("update_time"),
        sa.Column("latest_snapshot_id", sa.BigInteger()),
        sa.UniqueConstraint("namespace", "name", name="uq_af_workflow_ns_name"),
    )
    op.create_table(
        "af_workflow_snapshot",
        _id(),
        _fk("workflow_id", "af_workflow.id"),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("uri", sa.String(1024), nullable=False),
        sa.Column("artifacts", LongText, nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column("description", LongText, nullable=False),
        _ms("create_time"),
    )
    op.create_index("ix_af_workflow_snapshot_wf", "af_workflow_snapshot", ["workflow_id", "id"])
    op.create_table(
        "af_workflow_execution",
        _id(),
        _fk("workflow_id", "af_workflow.id"),
        _fk("snapshot_id", "af_workflow_snapshot.id"),
        sa.Column("execution_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ms("begin_date"),
        _ms("end_date", nullable=True),
        sa.Column("trigger_info", LongText),
        sa.Column("event_offset", sa.BigInteger()),
    )
    for name, columns in [
        ("ix_af_workflow_execution_wf", ["workflow_id", "id"]),
        ("ix_af_workflow_execution_event", ["workflow_id", "event_offset"]),
        ("ix_af_workflow_execution_status", ["status"]),
        ("ix_af_workflow_execution_snapshot", ["snapshot_id"]),
    ]:
        op.create_index(name, "af_workflow_execution", columns)
    op.create_table(
        "af_task_execution",
        _id(),
        _fk("workflow_execution_id", "af_workflow_execution.id"),
        sa.Column("task_name", sa.String(255), nullable=False),
        sa.Column("sequence_number", sa.Integer(), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("execution_type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ms("begin_date", nullable=True),
        _ms("end_date", nullable=True),
        sa.Column("pid", sa.Integer()),
        sa.Column("host", sa.String(255)),
        _ms("last_heartbeat", nullable=True),
        sa.Column("error", LongText),
        sa.UniqueConstraint(
            "workflow_execution_id", "task_name", "sequence_number", name="uq_af_task_execution"
        ),
    )
    op.create_index("ix_af_task_execution_status", "af_task_execution", ["status"])
    op.create_table(
        "af_workflow_schedule",
        _id(),
        _fk("workflow_id", "af_workflow.id"),
        sa.Column("expression", sa.String(255), nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        _ms("create_time"),
        _ms("last_fire_time", nullable=True),
        _ms("next_fire_time", nullable=True),
    )
    op.create_index("ix_af_workflow_schedule_wf", "af_workflow_schedule", ["workflow_id", "id"])
    op.create_index("ix_af_workflow_schedule_next", "af_workflow_schedule", ["next_fire_time"])
    op.create_table(
        "af_workflow_trigger",
        _id(),
        _fk("workflow_id", "af_workflow.id"),
        sa.Column("rule", LongText, nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        _ms("create_time"),
    )
    op.create_index("ix_af_workflow_trigger_wf", "af_workflow_trigger", ["workflow_id", "id"])
    op.create_table(
        "af_rule_state",
        _id(),
        _fk("workflow_execution_id", "af_workflow_execution.id", nullable=True),
        _fk("workflow_trigger_id", "af_workflow_trigger.id", nullable=True),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("value", LongText),
        sa.UniqueConstraint("workflow_execution_id", "scope", "name", name="uq_af_rule_state_exec"),
        sa.UniqueConstraint(
            "workflow_trigger_id", "scope", "name", name="uq_af_rule_state_trigger"
        ),
    )
    offset = op.create_table(
        "af_scheduler_offset",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(offset, [{"id": 1, "offset": 0}])
    op.create_table(
        "af_task_command",
        _id(),
        _fk("task_execution_id", "af_task_execution.id"),
        sa.Column("action", sa.String(16), nullable=False),
        _ms("create_time"),
        sa.Column("done", sa.Boolean(), nullable=False),
        _ms("done_time", nullable=True),
    )
    op.create_index("ix_af_task_command_done", "af_task_command", ["done", "id"])
    op.create_index("ix_af_task_command_te", "af_task_command", ["task_execution_id"])


def downgrade() -> None:
    for table in [
        "af_task_command",
        "af_scheduler_offset",
        "af_rule_state",
        "af_workflow_trigger",
        "af_workflow_schedule",
        "af_task_execution",
        "af_workflow_execution",
        "af_workflow_snapshot",
        "af_workflow",
        "af_namespace",
    ]:
        op.drop_table(table)
