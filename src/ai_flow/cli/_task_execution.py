"""`aiflow task-execution ...`: list, show, start, stop and explain task executions."""

from __future__ import annotations

import click

from ai_flow import ops
from ai_flow.cli._common import RECORD_ID, emit_list, emit_one, fetch_all, not_found, output_option
from ai_flow.cli._explain import emit, explain_output_option, task_lines

COLUMNS = [
    "id",
    "workflow_execution_id",
    "task_name",
    "sequence_number",
    "try_number",
    "execution_type",
    "status",
    "begin_date",
    "end_date",
]
# JSON/YAML and `show` add the failure reason (too wide for a table), where the try
# runs, and the engine job it runs (Flink/Spark) with its last savepoint.
DATA_COLUMNS = [*COLUMNS, "error", "host", "pid", "stop_reason", "external_job", "savepoint"]


@click.group("task-execution")
def task_execution_group() -> None:
    """Task execution related operations."""


@task_execution_group.command("list")
@click.argument("workflow_execution_id", type=RECORD_ID)
@output_option
def list_(workflow_execution_id: int, fmt: str) -> None:
    """List all task executions of the workflow execution."""
    if ops.get_workflow_execution(workflow_execution_id) is None:
        raise not_found(f"workflow execution {workflow_execution_id}")
    tasks = fetch_all(ops.list_task_executions, workflow_execution_id)
    emit_list([t.to_dict() for t in tasks], fmt, COLUMNS, DATA_COLUMNS)


@task_execution_group.command("show")
@click.argument("task_execution_id", type=RECORD_ID)
@output_option
def show(task_execution_id: int, fmt: str) -> None:
    """Show the task execution (with its try number and error, if any)."""
    meta = ops.get_task_execution(task_execution_id)
    if meta is None:
        raise not_found(f"task execution {task_execution_id}")
    emit_one(meta.to_dict(), fmt, DATA_COLUMNS)


@task_execution_group.command("start")
@click.argument("workflow_execution_id", type=RECORD_ID)
@click.argument("task_name")
def start(workflow_execution_id: int, task_name: str) -> None:
    """Start a new run of TASK_NAME in the workflow execution (unless one is alive)."""
    task_id = ops.start_task_execution(workflow_execution_id, task_name)
    click.echo(f"Task execution: {task_id} submitted.")


@task_execution_group.command("stop")
@click.argument("workflow_execution_id", type=RECORD_ID)
@click.argument("task_name")
def stop(workflow_execution_id: int, task_name: str) -> None:
    """Stop the alive run of TASK_NAME in the workflow execution (asynchronously)."""
    ops.stop_task_execution(workflow_execution_id, task_name)
    click.echo(f"Task {task_name} of workflow execution {workflow_execution_id} is stopping.")


@task_execution_group.command("explain")
@click.argument("workflow_execution_id", type=RECORD_ID)
@click.argument("task_name")
@explain_output_option
def explain(workflow_execution_id: int, task_name: str, fmt: str) -> None:
    """Why TASK_NAME ran (each run: what started and stopped it), or why it does not."""
    data = ops.explain_task_execution(workflow_execution_id, task_name)
    emit(data, fmt, task_lines)
