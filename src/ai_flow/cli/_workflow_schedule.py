"""`aiflow workflow-schedule ...`: periodic executions of a workflow."""

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
    "expression",
    "is_paused",
    "next_fire_time",
    "last_fire_time",
    "create_time",
]
DATA_COLUMNS = [*COLUMNS, "workflow_id"]


_get = getter(ops.get_workflow_schedule, "workflow schedule")


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
@click.argument("workflow_schedule_id", type=RECORD_ID)
@output_option
def show(workflow_schedule_id: int, fmt: str) -> None:
    """Shows the details of the workflow schedule by id."""
    emit_one(_get(workflow_schedule_id).to_dict(), fmt, COLUMNS)


add_action(
    workflow_schedule_group,
    "pause",
    "workflow schedule",
    _get,
    ops.pause_workflow_schedule,
    "paused",
    "Pauses the schedule: the workflow is not executed periodically any more.",
)
add_action(
    workflow_schedule_group,
    "resume",
    "workflow schedule",
    _get,
    ops.resume_workflow_schedule,
    "resumed",
    "Resumes the paused schedule (from now on).",
)
add_action(
    workflow_schedule_group,
    "delete",
    "workflow schedule",
    _get,
    ops.delete_workflow_schedule,
    "deleted",
    "Deletes the workflow schedule by id.",
    ask=True,
)
add_delete_all(
    workflow_schedule_group,
    "schedules",
    ops.delete_workflow_schedules,
    "Deletes all schedules of the workflow.",
)
