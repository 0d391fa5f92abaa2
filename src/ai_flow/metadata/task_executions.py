"""Task executions: the runs of one task inside a workflow execution, numbered 1, 2, ..."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import (
    TaskExecutionRow,
    TaskTryRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowSnapshotRow,
)
from ai_flow.metadata._util import enum_value, page
from ai_flow.metadata.errors import AlreadyExistsError, NotFoundError
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import TASK_ALIVE, TASK_FINISHED, TaskStatus
from ai_flow.model.stop_reason import StopReason
from notification_service.util.clock import now_ms


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


def get_with_context(
    session: Session, task_execution_id: int
) -> tuple[TaskExecutionRow, WorkflowExecutionRow, WorkflowRow, WorkflowSnapshotRow]:
    """The task execution with its workflow execution, workflow and snapshot."""
    te = get_task_execution(session, task_execution_id)
    execution = session.get(WorkflowExecutionRow, te.workflow_execution_id)
    assert execution is not None  # foreign key
    workflow = session.get(WorkflowRow, execution.workflow_id)
    snapshot = session.get(WorkflowSnapshotRow, execution.snapshot_id)
    assert workflow is not None and snapshot is not None  # foreign keys
    return te, execution, workflow, snapshot


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


def update_task_status(
    session: Session, task_execution_id: int, status: TaskStatus | str, error: str | None = None
) -> TaskExecutionRow:
    """Set the status; RUNNING sets begin_date, a finished status sets end_date."""
    row = get_task_execution(session, task_execution_id)
    row.status = enum_value(TaskStatus, status)
    now = now_ms()
    if row.status == TaskStatus.RUNNING.value and row.begin_date is None:
        row.begin_date = now
    if row.status in TASK_FINISHED and row.end_date is None:
        row.end_date = now
    if error is not None:
        row.error = error
    session.flush()
    return row


def start_retry(
    session: Session, task_execution_id: int, error: str | None = None
) -> TaskExecutionRow:
    """The failed try becomes RETRYING with the next try number. The failed try's
    handle stays (with its `handle_try`) until the next try is launched: the new try
    must not start while the old one's process still runs."""
    row = get_task_execution(session, task_execution_id)
    record_ended_try(session, row, error)
    row.status = TaskStatus.RETRYING.value
    row.try_number += 1
    if error:
        row.error = error
    session.flush()
    return row


def record_ended_try(session: Session, row: TaskExecutionRow, error: str | None) -> None:
    """Keep the try `row` is at (it failed) in the try history before a retry."""
    first = row.try_number == 1
    session.merge(
        TaskTryRow(
            task_execution_id=row.id,
            try_number=row.try_number,
            status=row.status if row.status in TASK_FINISHED else TaskStatus.FAILED.value,
            begin_date=row.try_start_time or (row.begin_date if first else None),
            end_date=now_ms(),
            host=row.host,
            pid=row.pid,
            error=error or row.error,
        )
    )


def list_tries(session: Session, task_execution_id: int) -> list[TaskTryRow]:
    """The ended tries of a task execution before its current one, oldest first."""
    query = (
        select(TaskTryRow)
        .where(TaskTryRow.task_execution_id == task_execution_id)
        .order_by(TaskTryRow.try_number)
    )
    return list(session.scalars(query))


def set_stopping(
    session: Session, task_execution_id: int, reason: StopReason | str
) -> TaskExecutionRow:
    row = get_task_execution(session, task_execution_id)
    row.status = TaskStatus.STOPPING.value
    row.stop_reason = enum_value(StopReason, reason)
    session.flush()
    return row


def latest_statuses(session: Session, workflow_execution_id: int) -> dict[str, str]:
    """task name -> status of its latest run in the execution."""
    rows = session.execute(
        select(TaskExecutionRow.task_name, TaskExecutionRow.status)
        .where(TaskExecutionRow.workflow_execution_id == workflow_execution_id)
        .order_by(TaskExecutionRow.sequence_number)
    )
    return {name: status for name, status in rows}


def latest_sequence_numbers(session: Session, workflow_execution_id: int) -> dict[str, int]:
    """task name -> sequence number of its latest run in the execution."""
    rows = session.execute(
        select(TaskExecutionRow.task_name, func.max(TaskExecutionRow.sequence_number))
        .where(TaskExecutionRow.workflow_execution_id == workflow_execution_id)
        .group_by(TaskExecutionRow.task_name)
    )
    return {name: int(seq) for name, seq in rows}


def earlier_run_alive(
    session: Session, workflow_execution_id: int, task_name: str, sequence_number: int
) -> bool:
    """Whether an earlier run of the task in the workflow execution is still alive
    (a RESTART's old run, stopping)."""
    stmt = (
        select(TaskExecutionRow.id)
        .where(
            TaskExecutionRow.workflow_execution_id == workflow_execution_id,
            TaskExecutionRow.task_name == task_name,
            TaskExecutionRow.sequence_number < sequence_number,
            TaskExecutionRow.status.in_(sorted(TASK_ALIVE)),
        )
        .limit(1)
    )
    return session.scalars(stmt).first() is not None


def lock_task_execution(session: Session, task_execution_id: int) -> TaskExecutionRow:
    """The row, locked until the transaction ends (PostgreSQL/MySQL; SQLite's write
    transaction already excludes other writers)."""
    row = session.scalars(
        select(TaskExecutionRow).where(TaskExecutionRow.id == task_execution_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"task execution {task_execution_id} does not exist")
    return row


def record_claim(
    session: Session,
    row: TaskExecutionRow,
    token: str,
    host: str,
    pid: int,
) -> TaskExecutionRow:
    """The runtime identified by `token` runs the row's current try from now."""
    now = now_ms()
    row.claimed_try, row.claim_token = row.try_number, token
    row.host, row.pid = host[:255], pid
    row.try_start_time = row.last_heartbeat = now
    session.flush()
    return row


def set_handle(
    session: Session, task_execution_id: int, handle: str, try_number: int
) -> TaskExecutionRow:
    """Record the executor's handle of the process launched for `try_number`."""
    row = get_task_execution(session, task_execution_id)
    row.handle, row.handle_try = handle, try_number
    session.flush()
    return row


def list_launched(
    session: Session, statuses: Iterable[TaskStatus | str], limit: int = 1000
) -> list[tuple[TaskExecutionRow, WorkflowExecutionRow, WorkflowRow]]:
    """Task executions in `statuses` that an executor was asked to run, with their
    workflow execution and workflow."""
    values = [enum_value(TaskStatus, s) for s in statuses]
    stmt = (
        select(TaskExecutionRow, WorkflowExecutionRow, WorkflowRow)
        .join(
            WorkflowExecutionRow,
            WorkflowExecutionRow.id == TaskExecutionRow.workflow_execution_id,
        )
        .join(WorkflowRow, WorkflowRow.id == WorkflowExecutionRow.workflow_id)
        .where(TaskExecutionRow.status.in_(values), TaskExecutionRow.handle.is_not(None))
        .order_by(TaskExecutionRow.id)
        .limit(limit)
    )
    return [(te, ex, wf) for te, ex, wf in session.execute(stmt)]


def record_external_job(
    session: Session, row: TaskExecutionRow, job_json: str, try_number: int
) -> TaskExecutionRow:
    """The try runs this job on an engine from now; cancel it if the try dies."""
    row.external_job, row.external_job_try, row.external_job_active = job_json, try_number, True
    session.flush()
    return row


def release_external_job(session: Session, row: TaskExecutionRow) -> TaskExecutionRow:
    """The recorded job ended (or was cancelled): nothing is left to reap."""
    row.external_job_active = False
    session.flush()
    return row


def record_savepoint(session: Session, row: TaskExecutionRow, path: str) -> TaskExecutionRow:
    row.savepoint = path
    session.flush()
    return row


def last_savepoint(
    session: Session, workflow_execution_id: int, task_name: str, before_sequence: int
) -> str | None:
    """The savepoint of the latest earlier run of the task in the workflow execution."""
    stmt = (
        select(TaskExecutionRow.savepoint)
        .where(
            TaskExecutionRow.workflow_execution_id == workflow_execution_id,
            TaskExecutionRow.task_name == task_name,
            TaskExecutionRow.sequence_number <= before_sequence,
            TaskExecutionRow.savepoint.is_not(None),
        )
        .order_by(TaskExecutionRow.sequence_number.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def list_orphaned_jobs(session: Session, limit: int = 100) -> list[TaskExecutionRow]:
    """Rows whose recorded job may still run though its try is over: the task finished,
    or a later try replaced the one that started the job, without the job's end known."""
    finished = sorted(TASK_FINISHED)
    stmt = (
        select(TaskExecutionRow)
        .where(
            TaskExecutionRow.external_job_active.is_(True),
            or_(
                TaskExecutionRow.status.in_(finished),
                TaskExecutionRow.try_number > TaskExecutionRow.external_job_try,
            ),
        )
        .order_by(TaskExecutionRow.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def record_heartbeat(session: Session, task_execution_id: int, try_number: int, token: str) -> bool:
    """Store a beat of the claimed try on its row; False if it is not the claimed try."""
    result = session.execute(
        update(TaskExecutionRow)
        .where(
            TaskExecutionRow.id == task_execution_id,
            TaskExecutionRow.try_number == try_number,
            TaskExecutionRow.claim_token == token,
        )
        .values(last_heartbeat=now_ms())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def count_by_status(session: Session, statuses: Iterable[str]) -> dict[str, int]:
    """How many task executions are in each of `statuses` (0 for none)."""
    wanted = list(statuses)
    stmt = (
        select(TaskExecutionRow.status, func.count(TaskExecutionRow.id))
        .where(TaskExecutionRow.status.in_(wanted))
        .group_by(TaskExecutionRow.status)
    )
    counts = {status: 0 for status in wanted}
    counts.update({status: int(n) for status, n in session.execute(stmt)})
    return counts
