"""`aiflow workflow-trigger ...`: the event triggers of a workflow.

Triggers are created with the Python API only (ops.add_workflow_trigger), as in the spec.
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

COLUMNS = [
    "id",
    "namespace",
    "workflow_name",
    "condition",
    "expect_event_keys",
    "is_paused",
    "create_time",
]
DATA_COLUMNS = [*COLUMNS, "workflow_id", "rule"]


_get = getter(ops.get_workflow_trigger, "workflow trigger")


def _row(meta: ops.WorkflowTriggerMeta, fmt: str) -> dict:
    row = meta.to_dict()
    if fmt in ("table", "plain"):  # a list cell reads better as "a, b"
        row["expect_event_keys"] = ", ".join(meta.expect_event_keys)
    return row


@click.group("workflow-trigger")
def workflow_trigger_group() -> None:
    """Manages the event triggers of the workflow."""


@workflow_trigger_group.command("list")
@click.argument("workflow_name")
@namespace_option
@output_option
def list_(workflow_name: str, namespace: str, fmt: str) -> None:
    """Lists all event triggers of the workflow."""
    found = fetch_all(ops.list_workflow_triggers, workflow_name, namespace)
    emit_list([_row(t, fmt) for t in found], fmt, COLUMNS, DATA_COLUMNS)


@workflow_trigger_group.command("show")
@click.argument("workflow_trigger_id", type=RECORD_ID)
@output_option
def show(workflow_trigger_id: int, fmt: str) -> None:
    """Shows the details of the workflow event trigger by id."""
    emit_one(_row(_get(workflow_trigger_id), fmt), fmt, COLUMNS)


add_action(
    workflow_trigger_group,
    "pause",
    "workflow trigger",
    _get,
    ops.pause_workflow_trigger,
    "paused",
    "Pauses the trigger: its events no longer start the workflow.",
)
add_action(
    workflow_trigger_group,
    "resume",
    "workflow trigger",
    _get,
    ops.resume_workflow_trigger,
    "resumed",
    "Resumes the paused trigger.",
)
add_action(
    workflow_trigger_group,
    "delete",
    "workflow trigger",
    _get,
    ops.delete_workflow_trigger,
    "deleted",
    "Deletes the workflow event trigger by id.",
    ask=True,
)
add_delete_all(
    workflow_trigger_group,
    "triggers",
    ops.delete_workflow_triggers,
    "Deletes all event triggers of the workflow.",
)
