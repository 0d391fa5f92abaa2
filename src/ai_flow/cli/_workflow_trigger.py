"""`aiflow workflow-trigger ...`: the event triggers of a workflow.

Triggers are created with the Python API only (ops.add_workflow_trigger), as in the spec.
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


def _get(trigger_id: int) -> ops.WorkflowTriggerMeta:
    meta = ops.get_workflow_trigger(trigger_id)
    if meta is None:
        raise not_found(f"workflow trigger {trigger_id}")
    return meta


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
@click.argument("workflow_trigger_id", type=int)
@output_option
def show(workflow_trigger_id: int, fmt: str) -> None:
    """Shows the details of the workflow event trigger by id."""
    emit_one(_row(_get(workflow_trigger_id), fmt), fmt, COLUMNS)


@workflow_trigger_group.command("pause")
@click.argument("workflow_trigger_id", type=int)
def pause(workflow_trigger_id: int) -> None:
    """Pauses the trigger: its events no longer start the workflow."""
    _get(workflow_trigger_id)
    ops.pause_workflow_trigger(workflow_trigger_id)
    click.echo(f"Workflow trigger: {workflow_trigger_id}, paused.")


@workflow_trigger_group.command("resume")
@click.argument("workflow_trigger_id", type=int)
def resume(workflow_trigger_id: int) -> None:
    """Resumes the paused trigger."""
    _get(workflow_trigger_id)
    ops.resume_workflow_trigger(workflow_trigger_id)
    click.echo(f"Workflow trigger: {workflow_trigger_id}, resumed.")


@workflow_trigger_group.command("delete")
@click.argument("workflow_trigger_id", type=int)
@yes_option
def delete(workflow_trigger_id: int, yes: bool) -> None:
    """Deletes the workflow event trigger by id."""
    _get(workflow_trigger_id)
    confirm(yes, f"Delete workflow trigger {workflow_trigger_id}?")
    ops.delete_workflow_trigger(workflow_trigger_id)
    click.echo(f"Workflow trigger: {workflow_trigger_id}, deleted.")


@workflow_trigger_group.command("delete-all")
@click.argument("workflow_name")
@namespace_option
@yes_option
def delete_all(workflow_name: str, namespace: str, yes: bool) -> None:
    """Deletes all event triggers of the workflow."""
    if ops.get_workflow(workflow_name, namespace) is None:
        raise not_found(f"workflow {namespace}.{workflow_name}")
    confirm(yes, f"Delete all triggers of workflow {namespace}.{workflow_name}?")
    count = ops.delete_workflow_triggers(workflow_name, namespace)
    click.echo(f"Deleted {count} trigger(s) of workflow {namespace}.{workflow_name}.")
