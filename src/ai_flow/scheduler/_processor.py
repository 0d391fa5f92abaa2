"""One batch of events -> rule state, task changes and executor commands, in one session.

The caller commits the session together with the new scheduler offset; nothing here
commits, so a crash anywhere loses or repeats nothing.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_flow.metadata import (
    RuleStateRow,
    TaskExecutionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowSnapshotRow,
    rule_state,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.internal.events import parse_task_status_event_key
from ai_flow.model.status import TASK_FINISHED_STATUSES, TaskStatus, WorkflowStatus
from ai_flow.model.workflow import Workflow
from ai_flow.scheduler._actions import apply_action, latest_statuses, refresh_workflow_status
from ai_flow.scheduler._context import RuleContext
from ai_flow.scheduler._evaluator import ConditionError, GuardedEvaluator
from ai_flow.scheduler._retries import retry_if_allowed
from ai_flow.scheduler._snapshots import SnapshotStore
from ai_flow.scheduler._triggers import BatchTriggers, fire_triggers
from notification_service.model import Event

log = logging.getLogger(__name__)

ERROR_STATE = "__error__"
_FINISHED_TASK = frozenset(s.value for s in TASK_FINISHED_STATUSES)


def execution_id_of(event: Event) -> int | None:
    """The workflow execution an event is tagged with, if any."""
    if not event.context or not event.context.startswith("{"):
        return None
    try:
        value = json.loads(event.context).get("workflow_execution_id")
    except (ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, int) else None


class _Batch:
    """Reads shared by the events of one batch, and state writes deferred to its end.

    The scheduler is the only writer of rule state and of task changes it makes, so
    caching them for the length of one transaction is safe.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._states: dict[tuple[int, str], dict] = {}
        self._dirty: dict[tuple[int, str], set[str]] = {}
        self._statuses: dict[int, dict[str, str]] = {}
        self._running: dict[str | int, list] = {}
        self.triggers = BatchTriggers(session)

    def forget_running(self, namespace: str) -> None:
        """Drop the cached running executions of `namespace` (one was just started)."""
        self._running.pop(namespace, None)

    def statuses(self, execution_id: int) -> dict[str, str]:
        if execution_id not in self._statuses:
            self._statuses[execution_id] = latest_statuses(self.session, execution_id)
        return self._statuses[execution_id]

    def tasks_changed(self, execution_id: int) -> None:
        self._statuses.pop(execution_id, None)

    def states(self, execution_id: int, scope: str) -> dict:
        key = (execution_id, scope)
        if key not in self._states:
            rows = self.session.execute(
                select(RuleStateRow.name, RuleStateRow.value).where(
                    RuleStateRow.workflow_execution_id == execution_id,
                    RuleStateRow.scope == scope,
                )
            )
            self._states[key] = {name: value for name, value in rows}
        return self._states[key]

    def put_states(self, execution_id: int, scope: str, values: dict, names: set[str]) -> None:
        self.states(execution_id, scope).update({n: values.get(n) for n in names})
        self._dirty.setdefault((execution_id, scope), set()).update(names)

    def flush(self) -> None:
        for (execution_id, scope), names in self._dirty.items():
            values = self._states[(execution_id, scope)]
            for name in names:
                rule_state.put_state(
                    self.session, scope, name, values.get(name), execution_id=execution_id
                )
        self._dirty.clear()

    def running(self, key: str | int) -> list:
        """Running executions with their workflow name and snapshot: by id or namespace."""
        if key not in self._running:
            query = (
                select(
                    WorkflowExecutionRow,
                    WorkflowRow.name,
                    WorkflowSnapshotRow,
                    WorkflowRow.is_enabled,
                )
                .join(WorkflowRow, WorkflowRow.id == WorkflowExecutionRow.workflow_id)
                .join(
                    WorkflowSnapshotRow,
                    WorkflowSnapshotRow.id == WorkflowExecutionRow.snapshot_id,
                )
                .where(WorkflowExecutionRow.status == WorkflowStatus.RUNNING.value)
            )
            if isinstance(key, int):
                query = query.where(WorkflowExecutionRow.id == key)
            else:
                query = query.where(WorkflowRow.namespace == key)
            self._running[key] = list(self.session.execute(query))
        # An execution that finished earlier in this batch is no longer a target.
        return [row for row in self._running[key] if row[0].status == WorkflowStatus.RUNNING.value]


class EventProcessor:
    def __init__(self, snapshots: SnapshotStore, evaluator: GuardedEvaluator) -> None:
        self._snapshots = snapshots
        self._evaluator = evaluator

    def process(self, session: Session, events: list[Event]) -> None:
        batch = _Batch(session)
        for event in events:
            self._process_one(batch, event)
        batch.flush()

    def _process_one(self, batch: _Batch, event: Event) -> None:
        changed = None
        if parse_task_status_event_key(event.key) is not None:
            changed = self._apply_status(batch, event)
        for execution, workflow, enabled in self._targets(batch, event):
            # A disabled workflow schedules nothing new; its runs still finish and count.
            acted = enabled and self._evaluate(batch, execution, workflow, event)
            if acted or execution.id == changed:
                refresh_workflow_status(batch.session, execution, workflow)
        fire_triggers(self._snapshots, self._evaluator, batch.triggers, event)
        if batch.triggers.started:
            # Later events of this batch must see the new executions, as one batch later.
            for namespace in batch.triggers.started:
                batch.forget_running(namespace)
            batch.triggers.started.clear()

    def _apply_status(self, batch: _Batch, event: Event) -> int | None:
        """Record a task's reported status; returns its execution id if it changed.

        A FAILED try that will be retried becomes RETRYING, and so does the event's value
        (in place) so the rules evaluated on it see RETRYING, not FAILED.
        """
        try:
            info = json.loads(event.context or "{}")
            row = batch.session.get(TaskExecutionRow, int(info["task_execution_id"]))
            status = TaskStatus(event.value)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring malformed task status event at offset %s", event.offset)
            return None
        if status == TaskStatus.RETRYING:
            # Tasks never report RETRYING: this is our own rewrite of a FAILED, seen again
            # because a failed transaction replays the batch. Decide afresh.
            status = TaskStatus.FAILED
        if row is None or row.status in _FINISHED_TASK:
            return None  # a late or repeated report: the first final status stands
        if info.get("try_number", row.try_number) != row.try_number:
            return None  # about an earlier try, which a retry has superseded
        if row.status == TaskStatus.STOPPING.value and status == TaskStatus.RUNNING:
            return None  # asked to stop before it came up; keep STOPPING
        error = info.get("error")
        if status == TaskStatus.FAILED and retry_if_allowed(
            batch.session, self._snapshots, row, batch.running(row.workflow_execution_id), error
        ):
            event.value = TaskStatus.RETRYING.value
        else:
            tasks.update_task_status(batch.session, row.id, status, error=error)
        batch.tasks_changed(row.workflow_execution_id)
        return row.workflow_execution_id

    def _targets(
        self, batch: _Batch, event: Event
    ) -> list[tuple[WorkflowExecutionRow, Workflow, bool]]:
        """Running executions the event concerns: its own, or all in its namespace."""
        own = execution_id_of(event)
        rows = batch.running(own if own is not None else (event.namespace or "default"))
        targets = []
        for execution, name, snapshot, enabled in rows:
            try:
                workflow = self._snapshots.workflow(snapshot, name)
            except Exception:  # noqa: BLE001 - a broken snapshot must not stop scheduling
                log.exception("cannot load snapshot %s of workflow %s", snapshot.id, name)
                continue
            if own is not None or workflow.rules_expecting(event.key):
                targets.append((execution, workflow, enabled))
        return targets

    def _evaluate(
        self, batch: _Batch, execution: WorkflowExecutionRow, workflow: Workflow, event: Event
    ) -> bool:
        """Evaluate every rule expecting the event; returns whether an action was taken."""
        acted = False
        for task_name, rules in workflow.rules.items():
            chosen = None
            # Every matching rule sees the event (its state stays right); the first action wins.
            for index, rule in enumerate(rules):
                if not rule.condition.expects(event):
                    continue
                scope = f"{task_name}#{index}"
                states = batch.states(execution.id, scope)
                context = RuleContext(batch.statuses(execution.id), states)
                try:
                    action = self._evaluator.run(lambda r=rule, c=context: r.trigger(event, c))
                except ConditionError as exc:
                    log.error("rule %s of task %s failed: %s", index, task_name, exc)
                    batch.put_states(execution.id, scope, {ERROR_STATE: str(exc)}, {ERROR_STATE})
                    continue
                if context.changed:
                    batch.put_states(execution.id, scope, context.states, context.changed)
                if action is not None and chosen is None:
                    chosen = action
            if chosen is not None:
                apply_action(batch.session, execution.id, task_name, chosen)
                batch.tasks_changed(execution.id)
                acted = True
        return acted
