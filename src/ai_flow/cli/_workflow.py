"""`aiflow workflow ...`: upload, list, show, delete, disable and enable workflows."""

from __future__ import annotations

from typing import Any

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

COLUMNS = ["id", "namespace", "name", "is_enabled", "snapshot_id", "create_time", "update_time"]
SHOW_COLUMNS = [*COLUMNS, "tasks", "rules"]


def _rules_summary(description: dict[str, Any]) -> str:
    """`task3: START on [key]; ...`: which action each task takes on which events."""
    parts = []
    for task, rules in (description.get("rules") or {}).items():
        for rule in rules:
            keys = (rule.get("condition") or {}).get("expect_event_keys") or []
            parts.append(f"{task}: {rule.get('action')} on [{', '.join(keys)}]")
    return "; ".join(parts)


def _get(name: str, namespace: str) -> ops.WorkflowMeta:
    meta = ops.get_workflow(name, namespace)
    if meta is None:
        raise not_found(f"workflow {namespace}.{name}")
    return meta


@click.group("workflow")
def workflow_group() -> None:
    """Workflow related operations."""


@workflow_group.command("upload")
@click.argument("file_path", type=click.Path(dir_okay=False))
@click.option(
    "--files",
    default=None,
    metavar="F1,F2",
    help="Comma-separated files the workflow uses (uploaded as artifacts).",
)
def upload(file_path: str, files: str | None) -> None:
    """Upload the workflows defined in FILE_PATH (a new snapshot of each)."""
    artifacts = [f.strip() for f in (files or "").split(",") if f.strip()]
    for meta in ops.upload_workflows(file_path, artifacts):
        click.echo(f"Workflow: {meta.namespace}.{meta.name}, submitted.")


@workflow_group.command("list")
@namespace_option
@output_option
def list_(namespace: str, fmt: str) -> None:
    """List all the workflows of the namespace."""
    rows = [w.to_dict() for w in fetch_all(ops.list_workflows, namespace)]
    emit_list(rows, fmt, COLUMNS)


@workflow_group.command("show")
@click.argument("workflow_name")
@namespace_option
@output_option
def show(workflow_name: str, namespace: str, fmt: str) -> None:
    """Show the workflow with its tasks and rules."""
    meta = _get(workflow_name, namespace)
    row = meta.to_dict()
    if fmt in ("table", "plain"):
        row["tasks"] = ", ".join(t["name"] for t in meta.description.get("tasks", []))
        row["rules"] = _rules_summary(meta.description)
    emit_one(row, fmt, SHOW_COLUMNS)


@workflow_group.command("delete")
@click.argument("workflow_name")
@namespace_option
@yes_option
def delete(workflow_name: str, namespace: str, yes: bool) -> None:
    """Delete the workflow with its snapshots, executions, schedules and triggers."""
    _get(workflow_name, namespace)
    confirm(
        yes,
        f"Delete workflow {namespace}.{workflow_name} and all its executions and snapshots?",
    )
    ops.delete_workflow(workflow_name, namespace)
    click.echo(f"Workflow: {namespace}.{workflow_name}, deleted.")


@workflow_group.command("disable")
@click.argument("workflow_name")
@namespace_option
def disable(workflow_name: str, namespace: str) -> None:
    """Disable the workflow: no more executions are scheduled."""
    ops.disable_workflow(workflow_name, namespace)
    click.echo(f"Workflow: {namespace}.{workflow_name}, disabled.")


@workflow_group.command("enable")
@click.argument("workflow_name")
@namespace_option
def enable(workflow_name: str, namespace: str) -> None:
    """Enable the workflow that was disabled."""
    ops.enable_workflow(workflow_name, namespace)
    click.echo(f"Workflow: {namespace}.{workflow_name}, enabled.")
