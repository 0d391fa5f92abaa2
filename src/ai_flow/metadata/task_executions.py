"""Task executions: the runs of one task inside a workflow execution, numbered 1, 2, ..."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import TaskExecutionRow, WorkflowExecutionRow
from ai_flow.metadata._util import enum_value, page
from ai_flow.metadata.errors import AlreadyExistsError, NotFoundError
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import TASK_FINISHED_STATUSES, TaskStatus
from notification_service.util.clock import now_ms

FINISHED_STATUSES = tuple(s.value for s in TASK_FINISHED_STATUSES)


def create_task_execution(
    session: Session,
    workflow_execution_id: int,
    task_name: str,
    execution_type: ExecutionType | str,
    *,
    try_number: int = 1,
    status: TaskStatus | str = TaskStatus.INIT,
) -> TaskExecutionRow:
    """A new run of `task_name` with the next sequence number of that task."""
    # Locking the parent row serialises allocations on PostgreSQL/MySQL; on SQLite the
    # write session's BEGIN IMMEDIATE already does.
    parent = session.scalars(
        select(WorkflowExecutionRow)
        .where(WorkflowExecutionRow.id == workflow_execution_id)
        .with_for_update()
    ).one_or_none()
    if parent is None:
        raise NotFoundError(f"workflow execution {workflow_execution_id} does not exist")
    last = session.scalar(
        select(func.max(TaskExecutionRow.sequence_number)).where(
            TaskExecutionRow.workflow_execution_id == workflow_execution_id,
            TaskExecutionRow.task_name == task_name,
        )
    )
    row = TaskExecutionRow(
        workflow_execution_id=workflow_execution_id,
        task_name=task_name,
        sequence_number=(last or 0) + 1,
        try_number=try_number,
        execution_type=enum_value(ExecutionType, execution_type),
        status=enum_value(TaskStatus, status),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise AlreadyExistsError(
            f"task execution {workflow_execution_id}/{task_name}/{row.sequence_number} "
            "already exists"
        ) from None
    return row


def get_task_execution(session: Session, task_execution_id: int) -> TaskExecutionRow:
    row = session.get(TaskExecutionRow, task_execution_id)
    if row is None:
        raise NotFoundError(f"task execution {task_execution_id} does not exist")
    return row


def get_task_execution_by_key(
    session: Session, workflow_execution_id: int, task_name: str, sequence_number: int
) -> TaskExecutionRow:
    row = session.scalars(
        select(TaskExecutionRow).where(
            TaskExecutionRow.workflow_execution_id == workflow_execution_id,
            TaskExecutionRow.task_name == task_name,
            TaskExecutionRow.sequence_number == sequence_number,
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError(
            f"task execution {workflow_execution_id}/{task_name}/{sequence_number} does not exist"
        )
    return row


def latest_task_execution(
    session: Session, workflow_execution_id: int, task_name: str
) -> TaskExecutionRow | None:
    """The run of the task with the highest sequence number, if any."""
    stmt = (
        select(TaskExecutionRow)
        .where(
            TaskExecutionRow.workflow_execution_id == workflow_execution_id,
            TaskExecutionRow.task_name == task_name,
        )
        .order_by(TaskExecutionRow.sequence_number.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def list_task_executions(
    session: Session,
    workflow_execution_id: int,
    task_name: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> list[TaskExecutionRow]:
    """In creation order."""
    stmt = select(TaskExecutionRow).where(
        TaskExecutionRow.workflow_execution_id == workflow_execution_id
    )
    if task_name is not None:
        stmt = stmt.where(TaskExecutionRow.task_name == task_name)
    return list(session.scalars(page(stmt.order_by(TaskExecutionRow.id), limit, offset)))


def list_task_executions_by_status(
    session: Session,
    statuses: Iterable[TaskStatus | str],
    limit: int | None = None,
    offset: int | None = None,
) -> list[TaskExecutionRow]:
    """Across all workflow executions, e.g. RUNNING ones for the heartbeat check."""
    values = [enum_value(TaskStatus, s) for s in statuses]
    stmt = select(TaskExecutionRow).where(TaskExecutionRow.status.in_(values))
    return list(session.scalars(page(stmt.order_by(TaskExecutionRow.id), limit, offset)))


def update_task_status(
    session: Session, task_execution_id: int, status: TaskStatus | str, error: str | None = None
) -> TaskExecutionRow:
    """Set the status; RUNNING sets begin_date, a finished status sets end_date."""
    row = get_task_execution(session, task_execution_id)
    row.status = enum_value(TaskStatus, status)
    now = now_ms()
    if row.status == TaskStatus.RUNNING.value and row.begin_date is None:
        row.begin_date = now
    if row.status in FINISHED_STATUSES and row.end_date is None:
        row.end_date = now
    if error is not None:
        row.error = error
    session.flush()
    return row


def start_retry(session: Session, task_execution_id: int) -> TaskExecutionRow:
    """The failed try becomes RETRYING with the next try number; the process of the
    failed try is forgotten so stopping before the retry launches reports at once."""
    row = get_task_execution(session, task_execution_id)
    row.status = TaskStatus.RETRYING.value
    row.try_number += 1
    row.pid = row.host = None
    session.flush()
    return row


def set_task_process(
    session: Session, task_execution_id: int, pid: int | None, host: str | None
) -> TaskExecutionRow:
    """Record where the executor launched the task (also its first heartbeat)."""
    row = get_task_execution(session, task_execution_id)
    row.pid, row.host, row.last_heartbeat = pid, host, now_ms()
    session.flush()
    return row


def heartbeat(session: Session, task_execution_id: int) -> None:
    get_task_execution(session, task_execution_id).last_heartbeat = now_ms()
    session.flush()
