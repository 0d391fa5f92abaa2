"""`aiflow workflow-execution ...`: start, stop, list, show and delete executions."""

from __future__ import annotations

import click

from ai_flow import ops
from ai_flow.cli._common import (
    RECORD_ID,
    confirm,
    emit_list,
    emit_one,
    fetch_all,
    namespace_option,
    not_found,
    output_option,
    yes_option,
)
from ai_flow.cli._explain import emit, execution_lines, explain_output_option

COLUMNS = [
    "id",
    "namespace",
    "workflow_name",
    "workflow_id",
    "snapshot_id",
    "execution_type",
    "status",
    "begin_date",
    "end_date",
]


def _get(execution_id: int) -> ops.WorkflowExecutionMeta:
    meta = ops.get_workflow_execution(execution_id)
    if meta is None:
        raise not_found(f"workflow execution {execution_id}")
    return meta


@click.group("workflow-execution")
def workflow_execution_group() -> None:
    """Workflow execution related operations."""


@workflow_execution_group.command("start")
@click.argument("workflow_name")
@namespace_option
def start(workflow_name: str, namespace: str) -> None:
    """Start a new execution of the workflow."""
    execution_id = ops.start_workflow_execution(workflow_name, namespace)
    click.echo(f"Workflow execution: {execution_id} submitted.")


@workflow_execution_group.command("stop")
@click.argument("workflow_execution_id", type=RECORD_ID)
def stop(workflow_execution_id: int) -> None:
    """Stop the workflow execution and its tasks (asynchronously)."""
    _get(workflow_execution_id)
    ops.stop_workflow_execution(workflow_execution_id)
    click.echo(f"Workflow execution: {workflow_execution_id} is stopping.")


@workflow_execution_group.command("stop-all")
@click.argument("workflow_name")
@namespace_option
@yes_option
def stop_all(workflow_name: str, namespace: str, yes: bool) -> None:
    """Stop every running execution of the workflow (asynchronously)."""
    if ops.get_workflow(workflow_name, namespace) is None:
        raise not_found(f"workflow {namespace}.{workflow_name}")
    confirm(yes, f"Stop all running executions of workflow {namespace}.{workflow_name}?")
    count = ops.stop_workflow_executions(workflow_name, namespace)
    click.echo(f"Stopping {count} execution(s) of workflow {namespace}.{workflow_name}.")


@workflow_execution_group.command("list")
@click.argument("workflow_name")
@namespace_option
@output_option
def list_(workflow_name: str, namespace: str, fmt: str) -> None:
    """List all executions of the workflow."""
    executions = fetch_all(ops.list_workflow_executions, workflow_name, namespace)
    emit_list([e.to_dict() for e in executions], fmt, COLUMNS)


@workflow_execution_group.command("show")
@click.argument("workflow_execution_id", type=RECORD_ID)
@output_option
def show(workflow_execution_id: int, fmt: str) -> None:
    """Show the workflow execution."""
    emit_one(_get(workflow_execution_id).to_dict(), fmt, COLUMNS)


@workflow_execution_group.command("delete")
@click.argument("workflow_execution_id", type=RECORD_ID)
@yes_option
def delete(workflow_execution_id: int, yes: bool) -> None:
    """Delete the finished workflow execution with its task executions."""
    _get(workflow_execution_id)
    confirm(yes, f"Delete workflow execution {workflow_execution_id} and its task executions?")
    ops.delete_workflow_execution(workflow_execution_id)
    click.echo(f"Workflow execution: {workflow_execution_id}, deleted.")


@workflow_execution_group.command("explain")
@click.argument("workflow_execution_id", type=RECORD_ID)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option(
    "--offset", type=click.IntRange(0, 2**63 - 1), default=0, help="Decisions to skip (paging)."
)
@explain_output_option
def explain(workflow_execution_id: int, limit: int, offset: int, fmt: str) -> None:
    """What started the execution (user, schedule fire, trigger and event), and the
    decisions in it, newest first."""
    data = ops.explain_workflow_execution(workflow_execution_id, limit=limit, offset=offset)
    emit(data, fmt, execution_lines)
