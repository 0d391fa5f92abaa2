"""Workflow triggers: evaluated on each event in the scheduler's batch transaction.

Every active trigger of an enabled workflow in the event's namespace whose condition
expects the event is evaluated (guarded, with its own rule state: trigger_id scope);
when met, an EVENT execution of the workflow's latest snapshot starts in the same
transaction as the event's offset, so a trigger fires exactly once per event. The
event's own context (the execution that sent it) does not matter to triggers.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_flow.metadata import (
    RuleStateRow,
    WorkflowRow,
    WorkflowSnapshotRow,
    WorkflowTriggerRow,
    rule_state,
)
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.internal.rule_codec import RuleCodecError
from ai_flow.scheduler._actions import start_workflow_execution
from ai_flow.scheduler._context import RuleContext
from ai_flow.scheduler._evaluator import ConditionError, GuardedEvaluator
from ai_flow.scheduler._snapshots import SnapshotStore
from ai_flow.scheduler._trigger_rules import trigger_rules
from notification_service.model import Event

log = logging.getLogger(__name__)

SCOPE = "trigger"
ERROR_STATE = "__error__"
_NO_STATUS: dict[str, str] = {}  # a trigger has no execution, so no task statuses


class BatchTriggers:
    """Active triggers per namespace and their states, read once per batch; `started`
    names the namespaces where a trigger started an execution."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._active: dict[str, list[Any]] = {}
        self._states: dict[int, dict[str, Any]] = {}
        self.started: set[str] = set()

    def active(self, namespace: str) -> list[Any]:
        if namespace not in self._active:
            query = (
                select(WorkflowTriggerRow, WorkflowRow, WorkflowSnapshotRow)
                .join(WorkflowRow, WorkflowRow.id == WorkflowTriggerRow.workflow_id)
                .join(WorkflowSnapshotRow, WorkflowSnapshotRow.id == WorkflowRow.latest_snapshot_id)
                .where(
                    WorkflowTriggerRow.is_paused.is_(False),
                    WorkflowRow.is_enabled.is_(True),
                    WorkflowRow.namespace == namespace,
                )
                .order_by(WorkflowTriggerRow.id)
            )
            self._active[namespace] = list(self.session.execute(query))
        return self._active[namespace]

    def states(self, trigger_id: int) -> dict[str, Any]:
        if trigger_id not in self._states:
            rows = self.session.execute(
                select(RuleStateRow.name, RuleStateRow.value).where(
                    RuleStateRow.workflow_trigger_id == trigger_id, RuleStateRow.scope == SCOPE
                )
            )
            self._states[trigger_id] = {name: value for name, value in rows}
        return self._states[trigger_id]

    def put(self, trigger_id: int, values: dict[str, Any], names: set[str]) -> None:
        """Write-through: triggers are few, so no deferred flush is needed."""
        states = self.states(trigger_id)
        for name in names:
            states[name] = values.get(name)
            rule_state.put_state(self.session, SCOPE, name, states[name], trigger_id=trigger_id)

    def error(self, trigger_id: int, message: str) -> None:
        """Remember why the trigger failed (written only when the reason changes)."""
        if self.states(trigger_id).get(ERROR_STATE) != message:
            self.put(trigger_id, {ERROR_STATE: message}, {ERROR_STATE})


def fire_triggers(
    snapshots: SnapshotStore, evaluator: GuardedEvaluator, cache: BatchTriggers, event: Event
) -> None:
    """Evaluate the triggers concerned by `event`, with the batch's trigger cache."""
    namespace = event.namespace or "default"
    for trigger, wf, snapshot in cache.active(namespace):
        label = f"{wf.namespace}.{wf.name}"
        try:
            rule = trigger_rules(snapshots).rule(snapshot, trigger.rule, label)
        except RuleCodecError as exc:
            if trigger.rule and event.key in trigger.rule:  # cheap "might expect it" test
                log.error("trigger %s of workflow %s cannot be loaded: %s", trigger.id, label, exc)
                cache.error(trigger.id, str(exc))
            continue
        if not rule.condition.expects(event):
            continue
        context = RuleContext(_NO_STATUS, cache.states(trigger.id))
        try:
            met = evaluator.run(lambda r=rule, c=context: r.trigger(event, c))
        except ConditionError as exc:
            log.error("trigger %s of workflow %s failed: %s", trigger.id, label, exc)
            cache.error(trigger.id, str(exc))
            continue
        if context.changed:
            cache.put(trigger.id, context.states, context.changed)
        if met:
            _start(snapshots, cache, trigger, wf, snapshot, event)


def _start(
    snapshots: SnapshotStore,
    cache: BatchTriggers,
    trigger: WorkflowTriggerRow,
    wf: WorkflowRow,
    snapshot: WorkflowSnapshotRow,
    event: Event,
) -> None:
    try:
        workflow = snapshots.workflow(snapshot, wf.name)
    except Exception as exc:  # noqa: BLE001 - a broken snapshot must not stop scheduling
        log.exception("cannot load snapshot %s of workflow %s", snapshot.id, wf.name)
        cache.error(trigger.id, f"cannot load snapshot {snapshot.id}: {exc}")
        return
    execution = start_workflow_execution(
        cache.session, wf.id, snapshot.id, workflow, ExecutionType.EVENT, event_offset=event.offset
    )
    execution.trigger_info = {"trigger_id": trigger.id, "event_key": event.key}
    cache.started.add(wf.namespace)
    log.info(
        "trigger %s started execution %s of %s.%s on event %s",
        trigger.id,
        execution.id,
        wf.namespace,
        wf.name,
        event.offset,
    )
