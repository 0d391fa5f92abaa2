"""`aiflow workflow-schedule ...`: periodic executions of a workflow."""

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
    "expression",
    "is_paused",
    "next_fire_time",
    "last_fire_time",
    "create_time",
]
DATA_COLUMNS = [*COLUMNS, "workflow_id"]


def _get(schedule_id: int) -> ops.WorkflowScheduleMeta:
    meta = ops.get_workflow_schedule(schedule_id)
    if meta is None:
        raise not_found(f"workflow schedule {schedule_id}")
    return meta


@click.group("workflow-schedule")
def workflow_schedule_group() -> None:
    """Manages the periodic schedules of the workflow.

    EXPRESSION is 'cron@<minute> <hour> <day of month> <month> <day of week>' (crontab,
    in UTC) or 'interval@<days> <hours> <minutes> <seconds>' (from now on).
    """


@workflow_schedule_group.command("add")
@namespace_option
@click.argument("workflow_name")
@click.argument("expression")
def add(namespace: str, workflow_name: str, expression: str) -> None:
    """Creates a new schedule for workflow."""
    meta = ops.add_workflow_schedule(expression, workflow_name, namespace)
    click.echo(f"Workflow schedule: {meta.id}, added.")


@workflow_schedule_group.command("list")
@click.argument("workflow_name")
@namespace_option
@output_option
def list_(workflow_name: str, namespace: str, fmt: str) -> None:
    """Lists all schedules of the workflow."""
    schedules = fetch_all(ops.list_workflow_schedules, workflow_name, namespace)
    emit_list([s.to_dict() for s in schedules], fmt, COLUMNS, DATA_COLUMNS)


@workflow_schedule_group.command("show")
@click.argument("workflow_schedule_id", type=int)
@output_option
def show(workflow_schedule_id: int, fmt: str) -> None:
    """Shows the details of the workflow schedule by id."""
    emit_one(_get(workflow_schedule_id).to_dict(), fmt, COLUMNS)


@workflow_schedule_group.command("pause")
@click.argument("workflow_schedule_id", type=int)
def pause(workflow_schedule_id: int) -> None:
    """Pauses the schedule: the workflow is not executed periodically any more."""
    _get(workflow_schedule_id)
    ops.pause_workflow_schedule(workflow_schedule_id)
    click.echo(f"Workflow schedule: {workflow_schedule_id}, paused.")


@workflow_schedule_group.command("resume")
@click.argument("workflow_schedule_id", type=int)
def resume(workflow_schedule_id: int) -> None:
    """Resumes the paused schedule (from now on)."""
    _get(workflow_schedule_id)
    ops.resume_workflow_schedule(workflow_schedule_id)
    click.echo(f"Workflow schedule: {workflow_schedule_id}, resumed.")


@workflow_schedule_group.command("delete")
@click.argument("workflow_schedule_id", type=int)
@yes_option
def delete(workflow_schedule_id: int, yes: bool) -> None:
    """Deletes the workflow schedule by id."""
    _get(workflow_schedule_id)
    confirm(yes, f"Delete workflow schedule {workflow_schedule_id}?")
    ops.delete_workflow_schedule(workflow_schedule_id)
    click.echo(f"Workflow schedule: {workflow_schedule_id}, deleted.")


@workflow_schedule_group.command("delete-all")
@click.argument("workflow_name")
@namespace_option
@yes_option
def delete_all(workflow_name: str, namespace: str, yes: bool) -> None:
    """Deletes all schedules of the workflow."""
    if ops.get_workflow(workflow_name, namespace) is None:
        raise not_found(f"workflow {namespace}.{workflow_name}")
    confirm(yes, f"Delete all schedules of workflow {namespace}.{workflow_name}?")
    count = ops.delete_workflow_schedules(workflow_name, namespace)
    click.echo(f"Deleted {count} schedule(s) of workflow {namespace}.{workflow_name}.")
