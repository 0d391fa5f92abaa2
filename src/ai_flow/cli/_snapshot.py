"""`aiflow workflow-snapshot ...`: the uploaded versions executions run from.

The spec has no snapshot group; this follows its workflow-schedule group's shape.
"""

from __future__ import annotations

import click

from ai_flow import ops
from ai_flow.cli._by_id import add_action, add_delete_all, getter
from ai_flow.cli._common import (
    RECORD_ID,
    emit_list,
    emit_one,
    fetch_all,
    namespace_option,
    output_option,
)

COLUMNS = ["id", "workflow_id", "file_name", "signature", "uri", "create_time"]
DATA_COLUMNS = [*COLUMNS, "artifacts"]


_get = getter(ops.get_workflow_snapshot, "workflow snapshot")


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
@click.argument("workflow_snapshot_id", type=RECORD_ID)
@output_option
def show(workflow_snapshot_id: int, fmt: str) -> None:
    """Show the workflow snapshot."""
    emit_one(_get(workflow_snapshot_id).to_dict(), fmt, COLUMNS)


add_action(
    snapshot_group,
    "delete",
    "workflow snapshot",
    _get,
    ops.delete_workflow_snapshot,
    "deleted",
    "Delete the workflow snapshot.",
    ask=True,
)
add_delete_all(
    snapshot_group,
    "snapshots",
    ops.delete_workflow_snapshots,
    "Delete all snapshots of the workflow.",
)
