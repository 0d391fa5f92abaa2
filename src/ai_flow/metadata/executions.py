"""Workflow executions: one run of a workflow snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import (
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowSnapshotRow,
)
from ai_flow.metadata._util import enum_value, page
from ai_flow.metadata.errors import ConflictError, NotFoundError
from ai_flow.metadata.snapshots import get_snapshot
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import (
    TASK_FINISHED,
    WORKFLOW_FINISHED,
    WORKFLOW_UNFINISHED,
    WorkflowStatus,
)
from notification_service.util.clock import now_ms


def create_execution(
    session: Session,
    workflow_id: int,
    snapshot_id: int,
    execution_type: ExecutionType | str,
    *,
    status: WorkflowStatus | str = WorkflowStatus.INIT,
    trigger_info: dict[str, Any] | None = None,
    event_offset: int | None = None,
) -> WorkflowExecutionRow:
    """Start a run of `snapshot_id`; `event_offset` is the event that caused it, if any."""
    snapshot = get_snapshot(session, snapshot_id)
    if snapshot.workflow_id != workflow_id:
        raise NotFoundError(
            f"workflow snapshot {snapshot_id} of workflow {workflow_id} does not exist"
        )
    row = WorkflowExecutionRow(
        workflow_id=workflow_id,
        snapshot_id=snapshot_id,
        execution_type=enum_value(ExecutionType, execution_type),
        status=enum_value(WorkflowStatus, status),
        begin_date=now_ms(),
        trigger_info=trigger_info,
        event_offset=event_offset,
    )
    session.add(row)
    session.flush()
    return row


def get_execution(session: Session, execution_id: int) -> WorkflowExecutionRow:
    row = session.get(WorkflowExecutionRow, execution_id)
    if row is None:
        raise NotFoundError(f"workflow execution {execution_id} does not exist")
    return row


def list_executions(
    session: Session,
    workflow_id: int,
    limit: int | None = None,
    offset: int | None = None,
    statuses: Iterable[WorkflowStatus | str] | None = None,
) -> list[WorkflowExecutionRow]:
    """Newest first, optionally only those in `statuses`."""
    stmt = select(WorkflowExecutionRow).where(WorkflowExecutionRow.workflow_id == workflow_id)
    if statuses is not None:
        values = [enum_value(WorkflowStatus, s) for s in statuses]
        stmt = stmt.where(WorkflowExecutionRow.status.in_(values))
    stmt = stmt.order_by(WorkflowExecutionRow.id.desc())
    return list(session.scalars(page(stmt, limit, offset)))


def list_unfinished(session: Session, workflow_id: int) -> list[WorkflowExecutionRow]:
    stmt = select(WorkflowExecutionRow).where(
        WorkflowExecutionRow.workflow_id == workflow_id,
        WorkflowExecutionRow.status.in_(WORKFLOW_UNFINISHED),
    )
    return list(session.scalars(stmt.order_by(WorkflowExecutionRow.id)))


def list_running(
    session: Session, *, namespace: str | None = None, execution_id: int | None = None
) -> list[tuple[WorkflowExecutionRow, WorkflowRow, WorkflowSnapshotRow]]:
    """RUNNING executions with their workflow and snapshot: one by id, or all of a
    namespace."""
    stmt = (
        select(WorkflowExecutionRow, WorkflowRow, WorkflowSnapshotRow)
        .join(WorkflowRow, WorkflowRow.id == WorkflowExecutionRow.workflow_id)
        .join(WorkflowSnapshotRow, WorkflowSnapshotRow.id == WorkflowExecutionRow.snapshot_id)
        .where(WorkflowExecutionRow.status == WorkflowStatus.RUNNING.value)
    )
    if execution_id is not None:
        stmt = stmt.where(WorkflowExecutionRow.id == execution_id)
    if namespace is not None:
        stmt = stmt.where(WorkflowRow.namespace == namespace)
    return [
        (ex, wf, snap) for ex, wf, snap in session.execute(stmt.order_by(WorkflowExecutionRow.id))
    ]


def count_unfinished(session: Session, workflow_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(WorkflowExecutionRow)
        .where(
            WorkflowExecutionRow.workflow_id == workflow_id,
            WorkflowExecutionRow.status.not_in(WORKFLOW_FINISHED),
        )
    )
    return int(session.scalar(stmt) or 0)


def update_execution_status(
    session: Session, execution_id: int, status: WorkflowStatus | str
) -> WorkflowExecutionRow:
    """Set the status; a finished status also sets end_date."""
    row = get_execution(session, execution_id)
    row.status = enum_value(WorkflowStatus, status)
    if row.status in WORKFLOW_FINISHED and row.end_date is None:
        row.end_date = now_ms()
    session.flush()
    return row


def list_expired_executions(
    session: Session, ended_before: int, limit: int = 100
) -> list[WorkflowExecutionRow]:
    """Finished executions that ended before `ended_before` (ms) and have no task whose
    run is still unfinished (a STOPPED execution may still be stopping its tasks)."""
    unfinished_task = (
        select(TaskExecutionRow.id)
        .where(
            TaskExecutionRow.workflow_execution_id == WorkflowExecutionRow.id,
            TaskExecutionRow.status.not_in(TASK_FINISHED),
        )
        .exists()
    )
    stmt = (
        select(WorkflowExecutionRow)
        .where(
            WorkflowExecutionRow.status.in_(WORKFLOW_FINISHED),
            WorkflowExecutionRow.end_date < ended_before,
            ~unfinished_task,
        )
        .order_by(WorkflowExecutionRow.end_date, WorkflowExecutionRow.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def delete_executions(session: Session, execution_ids: list[int]) -> None:
    """Delete executions by id with everything under them (retention; no checks)."""
    if execution_ids:
        session.execute(
            delete(WorkflowExecutionRow).where(WorkflowExecutionRow.id.in_(execution_ids))
        )
        session.expire_all()


def delete_execution(session: Session, execution_id: int) -> None:
    """Delete a finished execution with its task executions, state and commands."""
    row = get_execution(session, execution_id)
    if row.status not in WORKFLOW_FINISHED:
        raise ConflictError(
            f"workflow execution {execution_id} is {row.status}; stop it before deleting"
        )
    # A stopped execution's tasks may still be stopping: deleting their rows would leave
    # the processes running with nothing to report to.
    alive = session.scalar(
        select(func.count())
        .select_from(TaskExecutionRow)
        .where(
            TaskExecutionRow.workflow_execution_id == execution_id,
            TaskExecutionRow.status.not_in(TASK_FINISHED),
        )
    )
    if alive:
        raise ConflictError(
            f"workflow execution {execution_id} still has {alive} task execution(s) "
            "stopping; try again once they have stopped"
        )
    session.execute(delete(WorkflowExecutionRow).where(WorkflowExecutionRow.id == execution_id))
    session.expire_all()
