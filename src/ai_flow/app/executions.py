"""Workflow executions and task executions: start, stop, list, show, delete."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ai_flow.app._context import App
from ai_flow.app.errors import PreconditionError
from ai_flow.metadata import (
    TaskExecutionRow,
    TaskTryRow,
    WorkflowExecutionRow,
    WorkflowRow,
    executions,
    snapshots,
    workflows,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.action import TaskAction
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.status import WorkflowStatus
from ai_flow.model.stop_reason import StopReason
from ai_flow.scheduler import (
    Acted,
    PlanError,
    WorkflowPlan,
    apply_action,
    by_user,
    record_user_decision,
    start_workflow_execution,
    stop_workflow_execution,
    user_cause,
)


def _plan(app: App, s: Session, snapshot_id: int) -> WorkflowPlan:
    snapshot = snapshots.get_snapshot(s, snapshot_id)
    try:
        return app.snapshots.plan(snapshot)
    except PlanError as exc:
        raise PreconditionError(f"snapshot {snapshot_id}: {exc}") from None


def start_execution(
    app: App, namespace: str, name: str, by: str | None = None
) -> tuple[WorkflowExecutionRow, WorkflowRow]:
    """A manual execution; `by` (here and below) names the caller's token, for the
    decision log."""
    with app.scheduling() as s:
        wf = workflows.get_workflow(s, namespace, name)
        if not wf.is_enabled:
            raise PreconditionError(
                f"workflow {wf.namespace}.{wf.name} is disabled; enable it first"
            )
        if wf.latest_snapshot_id is None:
            raise PreconditionError(f"workflow {wf.namespace}.{wf.name} has no snapshot")
        plan = _plan(app, s, wf.latest_snapshot_id)
        row = start_workflow_execution(
            s, wf.id, wf.latest_snapshot_id, plan, ExecutionType.MANUAL, cause=user_cause(by)
        )
    app.on_commands()
    return row, wf


def stop_execution(app: App, execution_id: int, by: str | None = None) -> None:
    with app.scheduling() as s:
        stop_workflow_execution(s, executions.get_execution(s, execution_id), by)
    app.on_commands()


def stop_executions(app: App, namespace: str, name: str, by: str | None = None) -> int:
    with app.scheduling() as s:
        wf = workflows.get_workflow(s, namespace, name)
        rows = executions.list_unfinished(s, wf.id)
        for row in rows:
            stop_workflow_execution(s, row, by)
    app.on_commands()
    return len(rows)


def get_execution(app: App, execution_id: int) -> tuple[WorkflowExecutionRow, WorkflowRow]:
    with app.read() as s:
        row = executions.get_execution(s, execution_id)
        return row, workflows.get_workflow_by_id(s, row.workflow_id)


def list_executions(
    app: App, namespace: str, name: str, limit: int | None, offset: int | None
) -> tuple[list[WorkflowExecutionRow], WorkflowRow]:
    with app.read() as s:
        wf = workflows.get_workflow(s, namespace, name)
        return executions.list_executions(s, wf.id, limit=limit, offset=offset), wf


def delete_execution(app: App, execution_id: int) -> None:
    with app.scheduling() as s:
        executions.delete_execution(s, execution_id)


def get_task_execution(app: App, task_execution_id: int) -> TaskExecutionRow:
    with app.read() as s:
        return tasks.get_task_execution(s, task_execution_id)


def list_tries(app: App, task_execution_id: int) -> tuple[TaskExecutionRow, list[TaskTryRow]]:
    """A task execution and its ended tries before the current one (the try history)."""
    with app.read() as s:
        row = tasks.get_task_execution(s, task_execution_id)
        return row, tasks.list_tries(s, task_execution_id)


def list_task_executions(
    app: App, execution_id: int, limit: int | None, offset: int | None
) -> list[TaskExecutionRow]:
    with app.read() as s:
        executions.get_execution(s, execution_id)
        return tasks.list_task_executions(s, execution_id, limit=limit, offset=offset)


def _running_execution(app: App, s: Session, execution_id: int, task_name: str) -> None:
    row = executions.get_execution(s, execution_id)
    wf = workflows.get_workflow_by_id(s, row.workflow_id)
    if task_name not in _plan(app, s, row.snapshot_id).tasks:
        raise PreconditionError(f"workflow {wf.namespace}.{wf.name} has no task {task_name!r}")
    if row.status != WorkflowStatus.RUNNING.value:
        raise PreconditionError(f"workflow execution {execution_id} is {row.status}, not RUNNING")


def _record_user(
    s: Session,
    execution_id: int,
    task_name: str,
    action: TaskAction,
    acted: Acted,
    by: str | None,
) -> None:
    record_user_decision(
        s,
        workflow_execution_id=execution_id,
        task_name=task_name,
        action=action.value,
        taken=acted.done,
        detail=f"call by {by_user(by)}: {acted.detail}" if by else f"user call: {acted.detail}",
        started_task_execution_id=acted.started,
        stopped_task_execution_id=acted.stopped,
    )


def start_task_execution(
    app: App, execution_id: int, task_name: str, by: str | None = None
) -> TaskExecutionRow:
    """A new run of the task, unless one is alive (then that one: starting is a no-op)."""
    with app.scheduling() as s:
        _running_execution(app, s, execution_id, task_name)
        acted = apply_action(s, execution_id, task_name, TaskAction.START, ExecutionType.MANUAL)
        _record_user(s, execution_id, task_name, TaskAction.START, acted, by)
        row = tasks.latest_task_execution(s, execution_id, task_name)
    app.on_commands()
    assert row is not None
    return row


def stop_task_execution(app: App, execution_id: int, task_name: str, by: str | None = None) -> None:
    with app.scheduling() as s:
        _running_execution(app, s, execution_id, task_name)
        acted = apply_action(
            s, execution_id, task_name, TaskAction.STOP, ExecutionType.MANUAL, StopReason.USER
        )
        if not acted.done:
            raise PreconditionError(
                f"task {task_name} has no running execution in workflow execution {execution_id}"
            )
        _record_user(s, execution_id, task_name, TaskAction.STOP, acted, by)
    app.on_commands()
