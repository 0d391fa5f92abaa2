"""`aiflow workflow ...`: upload, list, show, delete, disable, enable and replay workflows."""

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
from ai_flow.cli._explain import emit, explain_output_option, replay_lines

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


@workflow_group.command("replay")
@click.argument("file_path", type=click.Path(dir_okay=False))
@click.option("--workflow", "workflow_name", default=None, help="Which workflow of the file.")
@namespace_option
@click.option(
    "--from-offset", type=click.IntRange(0, 2**63 - 1), default=None, help="After this offset."
)
@click.option("--from-time", default=None, metavar="ISO", help="From this time (naive = UTC).")
@click.option(
    "--to-offset", type=click.IntRange(0, 2**63 - 1), default=None, help="Up to this offset."
)
@explain_output_option
def replay(
    file_path: str,
    workflow_name: str | None,
    namespace: str,
    from_offset: int | None,
    from_time: str | None,
    to_offset: int | None,
    fmt: str,
) -> None:
    """Dry run: what FILE_PATH's workflow would do over the stored events, as if an
    execution had started at the first of them. Nothing on the server changes."""
    if (from_offset is None) == (from_time is None):
        raise click.UsageError("give exactly one of --from-offset and --from-time")
    data = ops.replay_workflow(
        file_path,
        from_offset=from_offset,
        from_time=from_time,
        to_offset=to_offset,
        workflow=workflow_name,
        namespace=namespace,
    )
    emit(data, fmt, replay_lines)
