"""`aiflow workflow-snapshot ...`: the uploaded versions executions run from.

The spec has no snapshot group; this follows its workflow-schedule group's shape.
"""

from __future__ import annotations

import click

from ai_flow import ops
from ai_flow.cli._common import (
    confirm,
    emit_list,
    emit_one,
    fetch_all,
    namespace_option,
    not_found,
    output_option,
    yes_option,
)

COLUMNS = ["id", "workflow_id", "file_name", "signature", "uri", "create_time"]
DATA_COLUMNS = [*COLUMNS, "artifacts"]


def _get(snapshot_id: int) -> ops.WorkflowSnapshotMeta:
    meta = ops.get_workflow_snapshot(snapshot_id)
    if meta is None:
        raise not_found(f"workflow snapshot {snapshot_id}")
    return meta


@click.group("workflow-snapshot")
def snapshot_group() -> None:
    """Workflow snapshot related operations."""


@snapshot_group.command("list")
@click.argument("workflow_name")
@namespace_option
@output_option
def list_(workflow_name: str, namespace: str, fmt: str) -> None:
    """List all snapshots of the workflow."""
    snapshots = fetch_all(ops.list_workflow_snapshots, workflow_name, namespace)
    emit_list([s.to_dict() for s in snapshots], fmt, COLUMNS, DATA_COLUMNS)


@snapshot_group.command("show")
@click.argument("workflow_snapshot_id", type=int)
@output_option
def show(workflow_snapshot_id: int, fmt: str) -> None:
    """Show the workflow snapshot."""
    emit_one(_get(workflow_snapshot_id).to_dict(), fmt, COLUMNS)


@snapshot_group.command("delete")
@click.argument("workflow_snapshot_id", type=int)
@yes_option
def delete(workflow_snapshot_id: int, yes: bool) -> None:
    """Delete the workflow snapshot."""
    _get(workflow_snapshot_id)
    confirm(yes, f"Delete workflow snapshot {workflow_snapshot_id}?")
    ops.delete_workflow_snapshot(workflow_snapshot_id)
    click.echo(f"Workflow snapshot: {workflow_snapshot_id}, deleted.")


@snapshot_group.command("delete-all")
@click.argument("workflow_name")
@namespace_option
@yes_option
def delete_all(workflow_name: str, namespace: str, yes: bool) -> None:
    """Delete all snapshots of the workflow."""
    if ops.get_workflow(workflow_name, namespace) is None:
        raise not_found(f"workflow {namespace}.{workflow_name}")
    confirm(yes, f"Delete all snapshots of workflow {namespace}.{workflow_name}?")
    count = ops.delete_workflow_snapshots(workflow_name, namespace)
    click.echo(f"Deleted {count} snapshot(s) of workflow {namespace}.{workflow_name}.")
