"""Restarting a task from outside (the web UI): what a RESTART rule does, on request."""

from __future__ import annotations

from ai_flow.app._context import App
from ai_flow.app.executions import _record_user, _running_execution
from ai_flow.metadata import TaskExecutionRow
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.action import TaskAction
from ai_flow.model.execution_type import ExecutionType
from ai_flow.scheduler import apply_action


def restart_task_execution(
    app: App, execution_id: int, task_name: str, by: str | None = None
) -> TaskExecutionRow:
    """Stop the alive run (if any) and queue the next sequence number; the command
    runner starts it once the old run has stopped, so two runs never overlap."""
    with app.scheduling() as s:
        _running_execution(app, s, execution_id, task_name)
        acted = apply_action(s, execution_id, task_name, TaskAction.RESTART, ExecutionType.MANUAL)
        _record_user(s, execution_id, task_name, TaskAction.RESTART, acted, by)
        row = tasks.latest_task_execution(s, execution_id, task_name)
    app.on_commands()
    assert row is not None
    return row
