"""What rules and users can do to tasks and executions, as changes in one session.

Every action that needs a process writes a command to the outbox (task_command);
the executor carries it out after the transaction commits.

Periodic tasks (`periodic_expression`) do not start with the execution: the timer loop
starts them at each fire (skipped while a run is alive), and an execution with periodic
tasks stays RUNNING until it is stopped.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_flow.metadata import (
    TaskExecutionRow,
    WorkflowExecutionRow,
    commands,
    executions,
    task_schedules,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.action import TaskAction
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import TaskStatus, WorkflowStatus
from ai_flow.model.workflow import Workflow
from notification_service.util.clock import now_ms

ALIVE = frozenset(
    s.value
    for s in (
        TaskStatus.INIT,
        TaskStatus.QUEUED,
        TaskStatus.RUNNING,
        TaskStatus.STOPPING,
        TaskStatus.RETRYING,
    )
)


def latest_statuses(session: Session, execution_id: int) -> dict[str, str]:
    """task name -> status of its latest run in the execution."""
    rows = session.execute(
        select(TaskExecutionRow.task_name, TaskExecutionRow.status)
        .where(TaskExecutionRow.workflow_execution_id == execution_id)
        .order_by(TaskExecutionRow.sequence_number)
    )
    return {name: status for name, status in rows}


def start_task(
    session: Session, execution_id: int, task_name: str, execution_type: ExecutionType
) -> TaskExecutionRow | None:
    """A new queued run, unless a run of the task is alive (then nothing happens)."""
    latest = tasks.latest_task_execution(session, execution_id, task_name)
    if latest is not None and latest.status in ALIVE:
        return None
    row = tasks.create_task_execution(
        session, execution_id, task_name, execution_type, status=TaskStatus.QUEUED
    )
    commands.add_command(session, row.id, TaskAction.START)
    return row


def stop_task(session: Session, execution_id: int, task_name: str) -> TaskExecutionRow | None:
    """Ask the alive run to stop; None when nothing is alive."""
    latest = tasks.latest_task_execution(session, execution_id, task_name)
    if latest is None or latest.status not in ALIVE or latest.status == TaskStatus.STOPPING:
        return None
    tasks.update_task_status(session, latest.id, TaskStatus.STOPPING)
    commands.add_command(session, latest.id, TaskAction.STOP)
    return latest


def apply_action(
    session: Session,
    execution_id: int,
    task_name: str,
    action: TaskAction,
    execution_type: ExecutionType = ExecutionType.EVENT,
) -> None:
    if action == TaskAction.START:
        start_task(session, execution_id, task_name, execution_type)
    elif action == TaskAction.STOP:
        stop_task(session, execution_id, task_name)
    elif action == TaskAction.RESTART:
        stop_task(session, execution_id, task_name)
        # The stopping run no longer counts as alive for the new one.
        row = tasks.create_task_execution(
            session, execution_id, task_name, execution_type, status=TaskStatus.QUEUED
        )
        commands.add_command(session, row.id, TaskAction.START)


def start_workflow_execution(
    session: Session,
    workflow_id: int,
    snapshot_id: int,
    workflow: Workflow,
    execution_type: ExecutionType,
    event_offset: int | None = None,
    trigger_info: dict | None = None,
) -> WorkflowExecutionRow:
    """A RUNNING execution whose tasks without a START rule are queued at once, except
    periodic tasks: they get a schedule and first run at their first fire."""
    execution = executions.create_execution(
        session,
        workflow_id,
        snapshot_id,
        execution_type,
        status=WorkflowStatus.RUNNING,
        event_offset=event_offset,
        trigger_info=trigger_info,
    )
    periodic = workflow.periodic_tasks
    task_schedules.create_task_schedules(session, execution.id, periodic)
    for task_name in workflow.initial_tasks:
        if task_name not in periodic:
            start_task(session, execution.id, task_name, execution_type)
    refresh_workflow_status(session, execution, workflow)
    return execution


def retry_task(session: Session, row: TaskExecutionRow, delay_seconds: float) -> None:
    """The failed try `row` becomes RETRYING; its next try starts after the delay."""
    tasks.start_retry(session, row.id)
    not_before = now_ms() + int(delay_seconds * 1000) if delay_seconds > 0 else None
    commands.add_command(session, row.id, TaskAction.START, not_before=not_before)


def stop_workflow_execution(session: Session, execution: WorkflowExecutionRow) -> None:
    for task_name, status in latest_statuses(session, execution.id).items():
        if status in ALIVE:
            stop_task(session, execution.id, task_name)
    if execution.status not in _FINISHED:
        executions.update_execution_status(session, execution.id, WorkflowStatus.STOPPED)


_FINISHED = frozenset(
    s.value for s in (WorkflowStatus.SUCCESS, WorkflowStatus.FAILED, WorkflowStatus.STOPPED)
)


def refresh_workflow_status(
    session: Session, execution: WorkflowExecutionRow, workflow: Workflow
) -> None:
    """RUNNING while a task is alive or has never run (a rule may still start it);
    otherwise FAILED if any task's last run failed, else SUCCESS. An execution with
    periodic tasks stays RUNNING until stopped: they fire again."""
    if execution.status in _FINISHED or workflow.periodic_tasks:
        return
    statuses = latest_statuses(session, execution.id)
    if any(s in ALIVE for s in statuses.values()):
        return
    if TaskStatus.FAILED.value in statuses.values():
        executions.update_execution_status(session, execution.id, WorkflowStatus.FAILED)
    elif all(name in statuses for name in workflow.tasks):
        executions.update_execution_status(session, execution.id, WorkflowStatus.SUCCESS)
