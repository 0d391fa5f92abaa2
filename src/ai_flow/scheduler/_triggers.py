"""Workflow triggers: evaluated on each event in the scheduler's batch transaction.

Every active trigger of an enabled workflow in the event's namespace whose condition
expects the event is evaluated (with its own rule state); when met, an EVENT execution
of the workflow's latest snapshot starts in the same transaction as the event's offset,
so a trigger fires exactly once per event. The event's own context (the execution that
sent it) does not matter to triggers.

Stored rules made only of built-in classes are decoded and evaluated here; a rule that
names a user class is evaluated by the evaluator of the workflow's latest snapshot.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass

from ai_flow.evaluator import ERROR_STATE, RuleContext
from ai_flow.metadata import WorkflowRow, WorkflowSnapshotRow, WorkflowTriggerRow
from ai_flow.model.execution_type import ExecutionType
from ai_flow.model.internal.rule_codec import (
    RuleCodecError,
    decode_rule,
    import_builtin,
    is_builtin,
)
from ai_flow.model.rule import WorkflowRule
from ai_flow.scheduler import _decisions as dlog
from ai_flow.scheduler._actions import start_workflow_execution
from ai_flow.scheduler._batch import Batch
from ai_flow.scheduler._decisions import event_fields
from ai_flow.scheduler._lookup import Speculation
from ai_flow.scheduler._plan import PlanError
from notification_service.model import Event

log = logging.getLogger(__name__)

_NO_STATUS: dict[str, str] = {}  # a trigger has no execution, so no task statuses


@dataclass(frozen=True)
class StoredTrigger:
    """A stored rule as the server sees it: the keys it expects and, if it is made of
    built-in classes only, the decoded rule (else None: user code)."""

    keys: frozenset[str]
    rule: WorkflowRule | None
    error: str | None = None

    @property
    def is_user(self) -> bool:
        return self.rule is None and self.error is None


@functools.lru_cache(maxsize=1024)
def parse_trigger(text: str) -> StoredTrigger:
    try:
        data = json.loads(text)
        keys = frozenset(data.get("expect_event_keys") or ())
        condition = data.get("condition")
    except (ValueError, AttributeError, TypeError) as exc:  # TypeError: keys not a list
        return StoredTrigger(frozenset(), None, f"a stored rule is not valid: {exc}")
    if not is_builtin(condition):
        return StoredTrigger(keys, None)
    try:
        return StoredTrigger(keys, decode_rule(text, import_builtin))
    except RuleCodecError as exc:
        return StoredTrigger(keys, None, str(exc))


def fire_triggers(batch: Batch, index: int, event: Event, lookup: Speculation) -> set[str]:
    """Evaluate the triggers concerned by `event`; returns the namespaces where one
    started an execution. Each answer goes to the decision log."""
    started: set[str] = set()
    for trigger, wf, snapshot in batch.triggers(event.namespace or "default"):
        stored = parse_trigger(trigger.rule)
        if event.key not in stored.keys:
            continue
        label = f"{wf.namespace}.{wf.name}"
        decision = {
            **event_fields(event),
            "workflow_trigger_id": trigger.id,
            "condition": _condition_name(stored, trigger.rule),
            "action": dlog.START_EXECUTION,
        }
        if stored.error is not None:
            _error(batch, trigger.id, f"trigger {trigger.id} of workflow {label}: {stored.error}")
            batch.log.add(dlog.TRIGGER, **decision, answer=dlog.ERROR, error=stored.error)
            continue
        states = batch.trigger_states(trigger.id)
        changed: frozenset[str] | set[str]
        if stored.rule is not None:
            context = RuleContext(_NO_STATUS, states)
            met = stored.rule.trigger(event, context)
            changed = context.changed
            if context.changed:
                batch.put_trigger_states(trigger.id, context.states, context.changed)
        else:
            result = lookup.trigger(index, event, trigger.id, snapshot, trigger.rule, states)
            changed = result.changed
            if result.error is not None:
                _error(
                    batch,
                    trigger.id,
                    f"trigger {trigger.id} of workflow {label} failed: {result.error}",
                )
                batch.log.add(
                    dlog.TRIGGER,
                    **decision,
                    answer=dlog.ERROR,
                    error=result.error,
                    changed=sorted(changed) or None,
                    detail="condition failed",
                )
                continue
            met = result.met
            if result.changed:
                batch.put_trigger_states(trigger.id, dict(result.after), result.changed)
        decision.update(answer=dlog.answer_of(met, None), changed=sorted(changed) or None)
        if not met:
            batch.log.add(dlog.TRIGGER, **decision, detail="condition not met")
            continue
        execution_id = _start(batch, trigger, wf, snapshot, event)
        if execution_id is None:
            batch.log.add(dlog.TRIGGER, **decision, detail="the snapshot cannot be scheduled")
            continue
        started.add(wf.namespace)
        batch.log.add(
            dlog.TRIGGER,
            **decision,
            taken=True,
            detail=f"started execution {execution_id} of {label}",
        )
    return started


def _condition_name(stored: StoredTrigger, text: str) -> str:
    if stored.rule is not None:
        return type(stored.rule.condition).__name__
    try:
        path = json.loads(text)["condition"]["class"]
    except (ValueError, KeyError, TypeError):
        return "user condition"
    return str(path).rsplit(".", 1)[-1]


def _error(batch: Batch, trigger_id: int, message: str) -> None:
    """Remember why the trigger failed (written only when the reason changes)."""
    log.error("%s", message)
    if batch.trigger_states(trigger_id).get(ERROR_STATE) != message:
        batch.put_trigger_states(trigger_id, {ERROR_STATE: message}, {ERROR_STATE})


def _start(
    batch: Batch,
    trigger: WorkflowTriggerRow,
    wf: WorkflowRow,
    snapshot: WorkflowSnapshotRow,
    event: Event,
) -> int | None:
    try:
        plan = batch.snapshots.plan(snapshot)
    except PlanError as exc:
        _error(batch, trigger.id, f"trigger {trigger.id}: snapshot {snapshot.id}: {exc}")
        return None
    execution = start_workflow_execution(
        batch.session,
        wf.id,
        snapshot.id,
        plan,
        ExecutionType.EVENT,
        event_offset=event.offset,
        cause={
            **event_fields(event),
            "source": dlog.TRIGGER,
            "workflow_trigger_id": trigger.id,
            "detail": f"started by trigger {trigger.id} on event {event.offset} ({event.key})",
        },
    )
    execution.trigger_info = {"trigger_id": trigger.id, "event_key": event.key}
    log.info(
        "trigger %s started execution %s of %s.%s on event %s",
        trigger.id,
        execution.id,
        wf.namespace,
        wf.name,
        event.offset,
    )
    return execution.id
