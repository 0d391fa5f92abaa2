"""Table declarations of the AIFlow metadata (behaviour lives in the concept modules).

Times are epoch milliseconds (UTC) in BigInteger columns named *_time / *_date, the
same as the event log; `ms_to_datetime` converts them at the API edge. Every child
table references its parent with ON DELETE CASCADE so deletes cascade in the database
on SQLite (foreign_keys=ON), PostgreSQL and MySQL alike.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# MySQL's TEXT holds 64 KiB; workflow descriptions and rules can be larger.
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
# SQLite only auto-increments an INTEGER PRIMARY KEY, not BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")


class JsonText(TypeDecorator[Any]):
    """A JSON value kept as text, so the column is the same on every backend."""

    impl = LongText
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="CASCADE")


class Base(DeclarativeBase):
    pass


class NamespaceRow(Base):
    __tablename__ = "af_namespace"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    properties: Mapped[dict | None] = mapped_column(JsonText)
    create_time: Mapped[int] = mapped_column(BigInteger, nullable=False)


class WorkflowRow(Base):
    __tablename__ = "af_workflow"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    namespace: Mapped[str] = mapped_column(String(255), _fk("af_namespace.name"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    is_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    create_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    update_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # No foreign key: workflow <-> snapshot would be a cycle that complicates cascades.
    latest_snapshot_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("namespace", "name", name="uq_af_workflow_ns_name"),)


class WorkflowSnapshotRow(Base):
    __tablename__ = "af_workflow_snapshot"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    workflow_id: Mapped[int] = mapped_column(BigInteger, _fk("af_workflow.id"), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    uri: Mapped[str] = mapped_column(String(1024), nullable=False)
    artifacts: Mapped[list] = mapped_column(JsonText, nullable=False)
    signature: Mapped[str] = mapped_column(String(64), nullable=False)
    description: Mapped[dict] = mapped_column(JsonText, nullable=False)
    create_time: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_af_workflow_snapshot_wf", "workflow_id", "id"),)


class WorkflowExecutionRow(Base):
    __tablename__ = "af_workflow_execution"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    workflow_id: Mapped[int] = mapped_column(BigInteger, _fk("af_workflow.id"), nullable=False)
    # CASCADE too: MySQL checks a RESTRICT key mid-cascade when a workflow is deleted.
    snapshot_id: Mapped[int] = mapped_column(
        BigInteger, _fk("af_workflow_snapshot.id"), nullable=False
    )
    execution_type: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    begin_date: Mapped[int] = mapped_column(BigInteger, nullable=False)
    end_date: Mapped[int | None] = mapped_column(BigInteger)
    trigger_info: Mapped[dict | None] = mapped_column(JsonText)
    event_offset: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_af_workflow_execution_wf", "workflow_id", "id"),
        Index("ix_af_workflow_execution_event", "workflow_id", "event_offset"),
        Index("ix_af_workflow_execution_status", "status"),
        Index("ix_af_workflow_execution_snapshot", "snapshot_id"),
    )


class TaskExecutionRow(Base):
    __tablename__ = "af_task_execution"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    workflow_execution_id: Mapped[int] = mapped_column(
        BigInteger, _fk("af_workflow_execution.id"), nullable=False
    )
    task_name: Mapped[str] = mapped_column(String(255), nullable=False)
    sequence_number: Mapped[int] = mapped_column(Integer, nullable=False)
    try_number: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    execution_type: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    begin_date: Mapped[int | None] = mapped_column(BigInteger)
    end_date: Mapped[int | None] = mapped_column(BigInteger)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    last_heartbeat: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(LongText)
    # The try a task runtime claimed (once per try), its claim token and start time.
    claimed_try: Mapped[int | None] = mapped_column(Integer)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    try_start_time: Mapped[int | None] = mapped_column(BigInteger)
    # The executor's opaque handle of the process that runs (or ran) try `handle_try`.
    handle: Mapped[str | None] = mapped_column(LongText)
    handle_try: Mapped[int | None] = mapped_column(Integer)
    stop_reason: Mapped[str | None] = mapped_column(String(16))
    # The job a try runs on an engine (ExternalJob JSON) and the try that runs it;
    # `external_job_active` until the try says the job ended or it was cancelled.
    external_job: Mapped[str | None] = mapped_column(LongText)
    external_job_try: Mapped[int | None] = mapped_column(Integer)
    external_job_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The last savepoint a stop took (a streaming job's state, to resume from).
    savepoint: Mapped[str | None] = mapped_column(LongText)

    __table_args__ = (
        # Also the index for listing a workflow execution's task executions.
        UniqueConstraint(
            "workflow_execution_id", "task_name", "sequence_number", name="uq_af_task_execution"
        ),
        Index("ix_af_task_execution_status", "status"),
        Index("ix_af_task_execution_external", "external_job_active"),
    )


class TaskTryRow(Base):
    """A try of a task execution that ended and was retried (the row of the task
    execution itself holds its current try): the try history."""

    __tablename__ = "af_task_try"

    task_execution_id: Mapped[int] = mapped_column(
        BigInteger, _fk("af_task_execution.id"), primary_key=True
    )
    try_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    begin_date: Mapped[int | None] = mapped_column(BigInteger)
    end_date: Mapped[int] = mapped_column(BigInteger, nullable=False)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(LongText)


class WorkflowScheduleRow(Base):
    __tablename__ = "af_workflow_schedule"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    workflow_id: Mapped[int] = mapped_column(BigInteger, _fk("af_workflow.id"), nullable=False)
    expression: Mapped[str] = mapped_column(String(255), nullable=False)
    is_paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    create_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_fire_time: Mapped[int | None] = mapped_column(BigInteger)
    next_fire_time: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_af_workflow_schedule_wf", "workflow_id", "id"),
        Index("ix_af_workflow_schedule_next", "next_fire_time"),
    )


class TaskScheduleRow(Base):
    """When a periodic task of a running workflow execution fires next."""

    __tablename__ = "af_task_schedule"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    workflow_execution_id: Mapped[int] = mapped_column(
        BigInteger, _fk("af_workflow_execution.id"), nullable=False
    )
    task_name: Mapped[str] = mapped_column(String(255), nullable=False)
    expression: Mapped[str] = mapped_column(String(255), nullable=False)
    last_fire_time: Mapped[int | None] = mapped_column(BigInteger)
    next_fire_time: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        UniqueConstraint("workflow_execution_id", "task_name", name="uq_af_task_schedule"),
        Index("ix_af_task_schedule_next", "next_fire_time"),
    )


class WorkflowTriggerRow(Base):
    __tablename__ = "af_workflow_trigger"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    workflow_id: Mapped[int] = mapped_column(BigInteger, _fk("af_workflow.id"), nullable=False)
    rule: Mapped[str] = mapped_column(LongText, nullable=False)
    is_paused: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    create_time: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_af_workflow_trigger_wf", "workflow_id", "id"),)


class RuleStateRow(Base):
    """Rule state of a workflow execution (task rules) or of a trigger (workflow rules)."""

    __tablename__ = "af_rule_state"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    workflow_execution_id: Mapped[int | None] = mapped_column(
        BigInteger, _fk("af_workflow_execution.id")
    )
    workflow_trigger_id: Mapped[int | None] = mapped_column(
        BigInteger, _fk("af_workflow_trigger.id")
    )
    scope: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[Any] = mapped_column(JsonText, nullable=True)

    __table_args__ = (
        UniqueConstraint("workflow_execution_id", "scope", "name", name="uq_af_rule_state_exec"),
        # NULL execution ids never collide, so trigger state needs its own key.
        UniqueConstraint("workflow_trigger_id", "scope", "name", name="uq_af_rule_state_trigger"),
    )


class SchedulerOffsetRow(Base):
    """One row (id=1): the last event offset whose effects the scheduler committed, and
    the version of the set of event keys it must read (bumped with every change that
    can make a key expected: a new execution, a new trigger)."""

    __tablename__ = "af_scheduler_offset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    offset: Mapped[int] = mapped_column(BigInteger, nullable=False)
    keys_version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    # The scheduling lease (metadata/lease.py): who schedules, its epoch (the fencing
    # token every scheduling transaction checks on this locked row) and until when, in
    # the database's clock (ms).
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_epoch: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    lease_expires: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    # Events the scheduler moved past without any rule or trigger reaching them (the
    # decision log counts them instead of storing them one by one).
    unreached_events: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")


class TaskCommandRow(Base):
    """The executor outbox: written with the scheduler's state, consumed by the executor."""

    __tablename__ = "af_task_command"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    task_execution_id: Mapped[int] = mapped_column(
        BigInteger, _fk("af_task_execution.id"), nullable=False
    )
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    create_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    done_time: Mapped[int | None] = mapped_column(BigInteger)
    # Not to be executed before this time (a retry's backoff); NULL means at once.
    not_before: Mapped[int | None] = mapped_column(BigInteger)
    # Why a STOP was asked for (ai_flow.model.stop_reason.StopReason).
    reason: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_af_task_command_done", "done", "id"),
        Index("ix_af_task_command_te", "task_execution_id"),
    )


class SchedulerErrorRow(Base):
    """An event the scheduler could not process; it was skipped, recorded here."""

    __tablename__ = "af_scheduler_error"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_offset: Mapped[int] = mapped_column(BigInteger, nullable=False)
    event_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    namespace: Mapped[str | None] = mapped_column(String(255))
    workflow_execution_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(LongText, nullable=False)
    create_time: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (UniqueConstraint("event_offset", name="uq_af_scheduler_error_offset"),)


class ServerRow(Base):
    """One row per running AIFlow server (metadata/servers.py): where task runtimes and
    clients reach it. `seen` is refreshed by the server in the database's clock (ms); a
    row not seen for a few lease periods belongs to a server that is gone."""

    __tablename__ = "af_server"

    owner: Mapped[str] = mapped_column(String(255), primary_key=True)
    internal_address: Mapped[str] = mapped_column(String(255), nullable=False)
    rpc_address: Mapped[str] = mapped_column(String(255), nullable=False)
    started: Mapped[int] = mapped_column(BigInteger, nullable=False)
    seen: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DecisionRow(Base):
    """One scheduling decision (metadata/decisions.py): what an event, a timer or a user
    call did to an execution, a task or a trigger, and why. Rows go with their execution
    or trigger (CASCADE) and are capped by `decision_log_max_rows`."""

    __tablename__ = "af_decision"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    create_time: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # EVENT (a rule on an event), TRIGGER, TIMER (schedule or periodic fire), USER.
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    event_offset: Mapped[int | None] = mapped_column(BigInteger)
    # A run: the events event_offset..last_offset (consecutive offsets, one batch) all
    # got this same answer from this rule. NULL: the row is about one event.
    last_offset: Mapped[int | None] = mapped_column(BigInteger)
    event_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    event_key: Mapped[str | None] = mapped_column(String(1024))
    namespace: Mapped[str | None] = mapped_column(String(255))
    sender: Mapped[str | None] = mapped_column(String(255))
    event_time: Mapped[int | None] = mapped_column(BigInteger)
    workflow_execution_id: Mapped[int | None] = mapped_column(
        BigInteger, _fk("af_workflow_execution.id")
    )
    workflow_trigger_id: Mapped[int | None] = mapped_column(
        BigInteger, _fk("af_workflow_trigger.id")
    )
    task_name: Mapped[str | None] = mapped_column(String(255))
    rule_index: Mapped[int | None] = mapped_column(Integer)
    condition: Mapped[str | None] = mapped_column(String(255))
    # MET, NOT_MET, ERROR; NULL: not evaluated (e.g. the workflow is disabled).
    answer: Mapped[str | None] = mapped_column(String(8))
    error: Mapped[str | None] = mapped_column(LongText)
    changed: Mapped[list | None] = mapped_column(JsonText)
    # What the rule (or call) asks for, whether it was done, and what happened or why not.
    action: Mapped[str | None] = mapped_column(String(16))
    taken: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    detail: Mapped[str | None] = mapped_column(String(1024))
    started_task_execution_id: Mapped[int | None] = mapped_column(BigInteger)
    stopped_task_execution_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_af_decision_execution", "workflow_execution_id", "id"),
        Index("ix_af_decision_trigger", "workflow_trigger_id", "id"),
        Index("ix_af_decision_event", "event_offset"),
    )
