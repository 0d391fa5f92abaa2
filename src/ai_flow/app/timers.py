"""Workflow schedules and triggers: add, get, list, pause, resume, delete."""

from __future__ import annotations

from ai_flow.app._context import App
from ai_flow.app.errors import InvalidArgumentError, PreconditionError
from ai_flow.metadata import (
    WorkflowRow,
    WorkflowScheduleRow,
    WorkflowTriggerRow,
    offsets,
    schedules,
    snapshots,
    triggers,
    workflows,
)
from ai_flow.model.internal.rule_codec import RuleCodecError
from ai_flow.model.periodic_expression import parse_periodic_expression
from ai_flow.scheduler import parse_trigger, snapshot_files


def add_schedule(
    app: App, namespace: str, name: str, expression: str
) -> tuple[WorkflowScheduleRow, WorkflowRow]:
    expression = expression.strip()
    try:
        parse_periodic_expression(expression)
    except ValueError as exc:  # the message gives the expected format
        raise InvalidArgumentError(str(exc)) from None
    with app.scheduling() as s:
        wf = workflows.get_workflow(s, namespace, name)
        row = schedules.create_schedule(s, wf.id, expression)
    app.on_schedules_changed()
    return row, wf


def get_schedule(app: App, schedule_id: int) -> tuple[WorkflowScheduleRow, WorkflowRow]:
    with app.read() as s:
        row = schedules.get_schedule(s, schedule_id)
        return row, workflows.get_workflow_by_id(s, row.workflow_id)


def list_schedules(
    app: App, namespace: str, name: str, limit: int | None, offset: int | None
) -> tuple[list[WorkflowScheduleRow], WorkflowRow]:
    with app.read() as s:
        wf = workflows.get_workflow(s, namespace, name)
        return schedules.list_schedules(s, wf.id, limit=limit, offset=offset), wf


def set_schedule_paused(
    app: App, schedule_id: int, paused: bool
) -> tuple[WorkflowScheduleRow, WorkflowRow]:
    with app.scheduling() as s:
        row = schedules.set_schedule_paused(s, schedule_id, paused)
        wf = workflows.get_workflow_by_id(s, row.workflow_id)
    app.on_schedules_changed()
    return row, wf


def delete_schedule(app: App, schedule_id: int) -> None:
    with app.scheduling() as s:
        schedules.delete_schedule(s, schedule_id)
    app.on_schedules_changed()


def delete_schedules(app: App, namespace: str, name: str) -> int:
    with app.scheduling() as s:
        wf = workflows.get_workflow(s, namespace, name)
        count = schedules.delete_schedules(s, wf.id)
    app.on_schedules_changed()
    return count


def add_trigger(
    app: App, namespace: str, name: str, rule: str
) -> tuple[WorkflowTriggerRow, WorkflowRow]:
    """Store a trigger; a rule that cannot be restored against the workflow's latest
    snapshot (built-in classes here, user classes in the snapshot's evaluator) is
    refused with the reason."""
    with app.read() as s:
        wf = workflows.get_workflow(s, namespace, name)
        if wf.latest_snapshot_id is None:
            raise PreconditionError(f"workflow {namespace}.{name} has no snapshot")
        snapshot = snapshots.get_snapshot(s, wf.latest_snapshot_id)
    stored = parse_trigger(rule)
    if stored.error is not None:
        raise InvalidArgumentError(stored.error)
    if stored.is_user:
        try:
            app.evaluators.decode_trigger(snapshot_files(snapshot), rule)
        except RuleCodecError as exc:
            raise InvalidArgumentError(f"workflow {namespace}.{name}: {exc}") from None
    with app.scheduling() as s:
        wf = workflows.get_workflow(s, namespace, name)
        row = triggers.create_trigger(s, wf.id, rule)
        offsets.bump_keys_version(s)  # the scheduler must read its keys from now on
        return row, wf


def get_trigger(app: App, trigger_id: int) -> tuple[WorkflowTriggerRow, WorkflowRow]:
    with app.read() as s:
        row = triggers.get_trigger(s, trigger_id)
        return row, workflows.get_workflow_by_id(s, row.workflow_id)


def list_triggers(
    app: App, namespace: str, name: str, limit: int | None, offset: int | None
) -> tuple[list[WorkflowTriggerRow], WorkflowRow]:
    with app.read() as s:
        wf = workflows.get_workflow(s, namespace, name)
        return triggers.list_triggers(s, wf.id, limit=limit, offset=offset), wf


def set_trigger_paused(
    app: App, trigger_id: int, paused: bool
) -> tuple[WorkflowTriggerRow, WorkflowRow]:
    with app.scheduling() as s:
        row = triggers.set_trigger_paused(s, trigger_id, paused)
        return row, workflows.get_workflow_by_id(s, row.workflow_id)


def delete_trigger(app: App, trigger_id: int) -> None:
    with app.scheduling() as s:
        triggers.delete_trigger(s, trigger_id)


def delete_triggers(app: App, namespace: str, name: str) -> int:
    with app.scheduling() as s:
        wf = workflows.get_workflow(s, namespace, name)
        return triggers.delete_triggers(s, wf.id)
