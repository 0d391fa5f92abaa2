"""Reads shared by the events of one scheduling batch, and rule state writes deferred to
its end.

The scheduler is the only writer of rule state and of the task changes it makes, so
caching them for the length of one transaction is safe.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ai_flow.metadata import (
    WorkflowExecutionRow,
    WorkflowRow,
    WorkflowSnapshotRow,
    WorkflowTriggerRow,
    decisions,
    executions,
    rule_state,
    triggers,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.status import WorkflowStatus
from ai_flow.scheduler._decisions import DecisionLog
from ai_flow.scheduler._plan import PlanError, WorkflowPlan
from ai_flow.scheduler._snapshots import SnapshotStore

log = logging.getLogger(__name__)

TRIGGER_SCOPE = "trigger"


@dataclass(frozen=True)
class Target:
    """A running execution an event may act on, with what it runs."""

    execution: WorkflowExecutionRow
    workflow: WorkflowRow
    snapshot: WorkflowSnapshotRow
    plan: WorkflowPlan


def targets_of(
    session: Session,
    snapshots: SnapshotStore,
    *,
    namespace: str | None = None,
    execution_id: int | None = None,
) -> list[Target]:
    """Running executions (one by id, or all of a namespace) whose plan is readable."""
    out = []
    for execution, workflow, snapshot in executions.list_running(
        session, namespace=namespace, execution_id=execution_id
    ):
        try:
            plan = snapshots.plan(snapshot)
        except PlanError as exc:  # a broken snapshot must not stop scheduling
            if snapshots.first_report(snapshot.id):
                log.error("executions of snapshot %s are not scheduled: %s", snapshot.id, exc)
            continue
        out.append(Target(execution, workflow, snapshot, plan))
    return out


class Batch:
    def __init__(self, session: Session, snapshots: SnapshotStore) -> None:
        self.session = session
        self.snapshots = snapshots
        self._states: dict[tuple[int, str], dict[str, Any]] = {}
        self._dirty: dict[tuple[int, str], set[str]] = {}
        self._statuses: dict[int, dict[str, str]] = {}
        self._running: dict[str | int, list[Target]] = {}
        self._triggers: dict[
            str, list[tuple[WorkflowTriggerRow, WorkflowRow, WorkflowSnapshotRow]]
        ] = {}
        self._trigger_states: dict[int, dict[str, Any]] = {}
        self.log = DecisionLog()
        self.unreached = 0  # events that reached no rule nor trigger (counted, not logged)

    # Executions

    def running(self, key: str | int) -> list[Target]:
        """Running executions by id (an int) or namespace (a str)."""
        if key not in self._running:
            if isinstance(key, int):
                self._running[key] = targets_of(self.session, self.snapshots, execution_id=key)
            else:
                self._running[key] = targets_of(self.session, self.snapshots, namespace=key)
        # An execution that finished earlier in this batch is no longer a target.
        return [t for t in self._running[key] if t.execution.status == WorkflowStatus.RUNNING.value]

    def statuses(self, execution_id: int) -> dict[str, str]:
        if execution_id not in self._statuses:
            self._statuses[execution_id] = tasks.latest_statuses(self.session, execution_id)
        return self._statuses[execution_id]

    def tasks_changed(self, execution_id: int) -> None:
        self._statuses.pop(execution_id, None)

    # Rule state of executions (flushed at the end of the batch)

    def states(self, execution_id: int, scope: str) -> dict[str, Any]:
        key = (execution_id, scope)
        if key not in self._states:
            self._states[key] = rule_state.scope_states(
                self.session, scope, execution_id=execution_id
            )
        return self._states[key]

    def put_states(
        self,
        execution_id: int,
        scope: str,
        values: dict[str, Any],
        names: set[str] | frozenset[str],
    ) -> None:
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
        self.log.flush(self.session)
        decisions.count_unreached(self.session, self.unreached)
        self.unreached = 0

    # Triggers (few: state is written through)

    def triggers(
        self, namespace: str
    ) -> list[tuple[WorkflowTriggerRow, WorkflowRow, WorkflowSnapshotRow]]:
        if namespace not in self._triggers:
            self._triggers[namespace] = triggers.list_active_in_namespace(self.session, namespace)
        return self._triggers[namespace]

    def trigger_states(self, trigger_id: int) -> dict[str, Any]:
        if trigger_id not in self._trigger_states:
            self._trigger_states[trigger_id] = rule_state.scope_states(
                self.session, TRIGGER_SCOPE, trigger_id=trigger_id
            )
        return self._trigger_states[trigger_id]

    def put_trigger_states(
        self, trigger_id: int, values: dict[str, Any], names: set[str] | frozenset[str]
    ) -> None:
        states = self.trigger_states(trigger_id)
        for name in names:
            states[name] = values.get(name)
            rule_state.put_state(
                self.session, TRIGGER_SCOPE, name, states[name], trigger_id=trigger_id
            )
