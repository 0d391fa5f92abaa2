"""What rules and users can do to tasks and executions, as changes in one session.

Every action that needs a process writes a command to the outbox (task_command);
the command runner carries it out after the transaction commits.

Periodic tasks (`periodic_expression`) do not start with the execution: the timer loop
starts them at each fire (skipped while a run is alive), and an execution with periodic
tasks stays RUNNING until it is stopped.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ai_flow.metadata import (
    TaskExecutionRow,
    WorkflowExecutionRow,
    commands,
    executions,
    offsets,
    task_schedules,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.action import TaskAction
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import TASK_ALIVE, WORKFLOW_FINISHED, TaskStatus, WorkflowStatus
from ai_flow.model.stop_reason import StopReason
from ai_flow.scheduler._plan import WorkflowPlan
from notification_service.util.clock import now_ms


def start_task(
    session: Session, execution_id: int, task_name: str, execution_type: ExecutionType
) -> TaskExecutionRow | None:
    """A new queued run, unless a run of the task is alive (then nothing happens)."""
    latest = tasks.latest_task_execution(session, execution_id, task_name)
    if latest is not None and latest.status in TASK_ALIVE:
        return None
    return _queue_run(session, execution_id, task_name, execution_type)


def _queue_run(
    session: Session, execution_id: int, task_name: str, execution_type: ExecutionType
) -> TaskExecutionRow:
    row = tasks.create_task_execution(
        session, execution_id, task_name, execution_type, status=TaskStatus.QUEUED
    )
    commands.add_command(session, row.id, TaskAction.START)
    return row


def stop_task(
    session: Session, execution_id: int, task_name: str, reason: StopReason
) -> TaskExecutionRow | None:
    """Ask the alive run to stop; None when nothing is alive (or it is stopping)."""
    latest = tasks.latest_task_execution(session, execution_id, task_name)
    if latest is None or latest.status not in TASK_ALIVE or latest.status == TaskStatus.STOPPING:
        return None
    tasks.set_stopping(session, latest.id, reason)
    commands.add_command(session, latest.id, TaskAction.STOP, reason=reason.value)
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
        stop_task(session, execution_id, task_name, StopReason.RULE)
    elif action == TaskAction.RESTART:
        stop_task(session, execution_id, task_name, StopReason.RESTART)
        # The stopping run no longer counts as alive for the new one.
        _queue_run(session, execution_id, task_name, execution_type)


def start_workflow_execution(
    session: Session,
    workflow_id: int,
    snapshot_id: int,
    plan: WorkflowPlan,
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
    # Its rules may expect keys the scheduler does not read yet (see _interest.py).
    offsets.bump_keys_version(session)
    periodic = plan.periodic_tasks
    task_schedules.create_task_schedules(session, execution.id, periodic)
    for task_name in plan.initial_tasks:
        if task_name not in periodic:
            start_task(session, execution.id, task_name, execution_type)
    refresh_workflow_status(session, execution, plan)
    return execution


def retry_task(
    session: Session, row: TaskExecutionRow, delay_seconds: float, error: str | None
) -> None:
    """The failed try `row` becomes RETRYING; its next try starts after the delay."""
    tasks.start_retry(session, row.id, error)
    not_before = now_ms() + int(delay_seconds * 1000) if delay_seconds > 0 else None
    commands.add_command(session, row.id, TaskAction.START, not_before=not_before)


def stop_workflow_execution(session: Session, execution: WorkflowExecutionRow) -> None:
    for task_name, status in tasks.latest_statuses(session, execution.id).items():
        if status in TASK_ALIVE:
            stop_task(session, execution.id, task_name, StopReason.WORKFLOW_STOP)
    if execution.status not in WORKFLOW_FINISHED:
        executions.update_execution_status(session, execution.id, WorkflowStatus.STOPPED)


def refresh_workflow_status(
    session: Session, execution: WorkflowExecutionRow, plan: WorkflowPlan
) -> None:
    """RUNNING while a task is alive or has never run (a rule may still start it);
    otherwise FAILED if any task's last run failed, else SUCCESS. An execution with
    periodic tasks stays RUNNING until stopped: they fire again."""
    if execution.status in WORKFLOW_FINISHED or plan.periodic_tasks:
        return
    statuses = tasks.latest_statuses(session, execution.id)
    if any(s in TASK_ALIVE for s in statuses.values()):
        return
    if TaskStatus.FAILED.value in statuses.values():
        executions.update_execution_status(session, execution.id, WorkflowStatus.FAILED)
    elif all(name in statuses for name in plan.tasks):
        executions.update_execution_status(session, execution.id, WorkflowStatus.SUCCESS)
