"""What rules and users can do to tasks and executions, as changes in one session.

Every action that needs a process writes a command to the outbox (task_command);
the command runner carries it out after the transaction commits.

Periodic tasks (`periodic_expression`) do not start with the execution: the timer loop
starts them at each fire (skipped while a run is alive), and an execution with periodic
tasks stays RUNNING until it is stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ai_flow.metadata import (
    TaskExecutionRow,
    WorkflowExecutionRow,
    commands,
    decisions,
    executions,
    offsets,
    task_schedules,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.action import TaskAction
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import TASK_ALIVE, WORKFLOW_FINISHED, TaskStatus, WorkflowStatus
from ai_flow.model.stop_reason import StopReason
from ai_flow.scheduler import _decisions as dlog
from ai_flow.scheduler._plan import WorkflowPlan
from notification_service.util.clock import now_ms


@dataclass(frozen=True)
class Acted:
    """What an action did (for the decision log): `done` whether it changed anything,
    `detail` one line saying what or why not, and the runs it started or stopped."""

    done: bool
    detail: str
    started: int | None = None
    stopped: int | None = None


def _alive(latest: TaskExecutionRow | None) -> bool:
    return latest is not None and latest.status in TASK_ALIVE


def start_task(
    session: Session, execution_id: int, task_name: str, execution_type: ExecutionType
) -> TaskExecutionRow | None:
    """A new queued run, unless a run of the task is alive (then nothing happens)."""
    if _alive(tasks.latest_task_execution(session, execution_id, task_name)):
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
    return _stop(session, latest, reason)


def _stop(
    session: Session, latest: TaskExecutionRow | None, reason: StopReason
) -> TaskExecutionRow | None:
    if not _alive(latest) or latest is None or latest.status == TaskStatus.STOPPING:
        return None
    tasks.set_stopping(session, latest.id, reason)
    commands.add_command(session, latest.id, TaskAction.STOP, reason=reason.value)
    return latest


def _run_of(task_name: str, row: TaskExecutionRow | None) -> str:
    if row is None:
        return f"{task_name} has never run"
    return f"run {row.sequence_number} of {task_name} is {row.status}"


def apply_action(
    session: Session,
    execution_id: int,
    task_name: str,
    action: TaskAction,
    execution_type: ExecutionType = ExecutionType.EVENT,
    reason: StopReason = StopReason.RULE,
) -> Acted:
    latest = tasks.latest_task_execution(session, execution_id, task_name)
    if action == TaskAction.START:
        if _alive(latest):
            return Acted(False, f"START skipped: {_run_of(task_name, latest)}")
        row = _queue_run(session, execution_id, task_name, execution_type)
        return Acted(True, f"started run {row.sequence_number}", started=row.id)
    if action == TaskAction.STOP:
        stopped = _stop(session, latest, reason)
        if stopped is None:
            return Acted(False, f"STOP skipped: {_run_of(task_name, latest)}")
        return Acted(True, f"stopping run {stopped.sequence_number}", stopped=stopped.id)
    if action == TaskAction.RESTART:
        restart = StopReason.RESTART if reason == StopReason.RULE else reason
        stopped = _stop(session, latest, restart)
        # The stopping run no longer counts as alive for the new one.
        row = _queue_run(session, execution_id, task_name, execution_type)
        detail = f"started run {row.sequence_number}"
        if stopped is not None:
            detail = f"stopping run {stopped.sequence_number}, {detail} after it"
        return Acted(True, detail, started=row.id, stopped=stopped.id if stopped else None)
    return Acted(False, f"{action.value}: nothing to do")


def start_workflow_execution(
    session: Session,
    workflow_id: int,
    snapshot_id: int,
    plan: WorkflowPlan,
    execution_type: ExecutionType,
    event_offset: int | None = None,
    trigger_info: dict | None = None,
    cause: dict[str, Any] | None = None,
) -> WorkflowExecutionRow:
    """A RUNNING execution whose tasks without a START rule are queued at once, except
    periodic tasks: they get a schedule and first run at their first fire.

    `cause` (decision log fields: `source`, `detail`, the event's) says what started it;
    it is recorded with the execution, and so is each task it started."""
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
    fields = dict(cause or dlog.user_cause(None))
    source = fields.pop("source")
    rows = [
        {**fields, "action": dlog.START_EXECUTION, "taken": True, "source": source},
    ]
    for task_name in plan.initial_tasks:
        if task_name not in periodic:
            row = start_task(session, execution.id, task_name, execution_type)
            if row is not None:
                rows.append(
                    {
                        **fields,
                        "source": source,
                        "task_name": task_name,
                        "action": TaskAction.START.value,
                        "taken": True,
                        "detail": "started run 1: no START rule, it starts with the execution",
                        "started_task_execution_id": row.id,
                    }
                )
    if dlog.ENABLED:
        stamp = now_ms()
        decisions.record(
            session,
            [{**r, "workflow_execution_id": execution.id, "create_time": stamp} for r in rows],
        )
    refresh_workflow_status(session, execution, plan)
    return execution


def retry_task(
    session: Session, row: TaskExecutionRow, delay_seconds: float, error: str | None
) -> None:
    """The failed try `row` becomes RETRYING; its next try starts after the delay."""
    tasks.start_retry(session, row.id, error)
    not_before = now_ms() + int(delay_seconds * 1000) if delay_seconds > 0 else None
    commands.add_command(session, row.id, TaskAction.START, not_before=not_before)


def stop_workflow_execution(
    session: Session, execution: WorkflowExecutionRow, by: str | None = None
) -> None:
    """A user's stop: every alive run is asked to stop (recorded in the decision log);
    `by` names the caller's token."""
    rows: list[dict[str, Any]] = []
    for task_name, status in tasks.latest_statuses(session, execution.id).items():
        if status in TASK_ALIVE:
            stopped = stop_task(session, execution.id, task_name, StopReason.WORKFLOW_STOP)
            if stopped is not None:
                rows.append(
                    {
                        "task_name": task_name,
                        "action": TaskAction.STOP.value,
                        "taken": True,
                        "detail": f"stopping run {stopped.sequence_number}: the execution "
                        "was stopped",
                        "stopped_task_execution_id": stopped.id,
                    }
                )
    if execution.status not in WORKFLOW_FINISHED:
        executions.update_execution_status(session, execution.id, WorkflowStatus.STOPPED)
        rows.insert(
            0,
            {
                "action": dlog.STOP_EXECUTION,
                "taken": True,
                "detail": f"stopped by {dlog.by_user(by)}",
            },
        )
    for row in rows:
        dlog.record(session, dlog.USER, workflow_execution_id=execution.id, **row)


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
