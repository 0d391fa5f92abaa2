"""Look-ahead: evaluate a batch's user conditions before its transaction opens.

A read-only pass over the batch follows what the processor will do closely enough to
know which user rules and triggers each event reaches, with which task statuses (status
events are applied with the same `decide`) and which states (each scope's chain carried
from one item to the next). Those items go to the snapshots' evaluator processes, which
are started now if needed. What the pass could not foresee (an action earlier in the
batch that a condition looks at, an execution a trigger starts) is caught by the
processor's check and looked ahead again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.blob_manager import SnapshotFiles
from ai_flow.evaluator import EvalItem, EvalResult, EvaluatorPool
from ai_flow.metadata import TaskExecutionRow, WorkflowSnapshotRow, read_session, rule_state
from ai_flow.metadata import task_executions as tasks
from ai_flow.metadata import triggers as trigger_rows
from ai_flow.model.status import TaskStatus
from ai_flow.scheduler._batch import TRIGGER_SCOPE, Target, targets_of
from ai_flow.scheduler._lookup import Speculation, rule_scope, trigger_scope
from ai_flow.scheduler._processor import targets_key
from ai_flow.scheduler._reports import Outcome, decide, parse_report
from ai_flow.scheduler._snapshots import SnapshotStore, snapshot_files
from ai_flow.scheduler._triggers import parse_trigger
from notification_service.model import Event


@dataclass
class _Work:
    """The items of one snapshot, in order, and each scope's states before the first."""

    files: SnapshotFiles
    items: list[EvalItem] = field(default_factory=list)
    states: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Run:
    """What the look-ahead believes of a task execution."""

    execution_id: int
    task_name: str
    sequence_number: int
    status: str
    try_number: int


class _Pass:
    def __init__(self, session: Session, snapshots: SnapshotStore) -> None:
        self.session = session
        self.snapshots = snapshots
        self.work: dict[int, _Work] = {}
        self._running: dict[str | int, list[Target]] = {}
        self._statuses: dict[int, dict[str, str]] = {}
        self._latest: dict[int, dict[str, int]] = {}
        self._runs: dict[int, _Run | None] = {}
        self._triggers: dict[str, list] = {}

    def _targets(self, key: str | int) -> list[Target]:
        if key not in self._running:
            if isinstance(key, int):
                self._running[key] = targets_of(self.session, self.snapshots, execution_id=key)
            else:
                self._running[key] = targets_of(self.session, self.snapshots, namespace=key)
        return self._running[key]

    def _statuses_of(self, execution_id: int) -> dict[str, str]:
        if execution_id not in self._statuses:
            self._statuses[execution_id] = tasks.latest_statuses(self.session, execution_id)
        return self._statuses[execution_id]

    def _run_of(self, task_execution_id: int) -> _Run | None:
        if task_execution_id not in self._runs:
            row = self.session.get(TaskExecutionRow, task_execution_id)
            self._runs[task_execution_id] = (
                None
                if row is None
                else _Run(
                    row.workflow_execution_id,
                    row.task_name,
                    row.sequence_number,
                    row.status,
                    row.try_number,
                )
            )
        return self._runs[task_execution_id]

    def step(self, event: Event) -> None:
        seen = event
        key = targets_key(event)
        report = parse_report(event)
        if report is not None and self._matters(key, event):
            seen = self._apply(event, report)
        for target in self._targets(key):
            rules = target.plan.user_rules_expecting(event.key)
            if not rules or not target.workflow.is_enabled:
                continue
            execution_id = target.execution.id
            statuses = self._statuses_of(execution_id)
            for rule in rules:
                scope = rule_scope(execution_id, rule)
                item = EvalItem(scope, seen, target.plan.name, rule.task, rule.index, statuses)
                self._add(target.snapshot, item, self._rule_states(execution_id, rule.scope))
        namespace = event.namespace or "default"
        if namespace not in self._triggers:
            self._triggers[namespace] = trigger_rows.list_active_in_namespace(
                self.session, namespace
            )
        for trigger, _wf, snapshot in self._triggers[namespace]:
            stored = parse_trigger(trigger.rule)
            if stored.is_user and event.key in stored.keys:
                item = EvalItem(trigger_scope(trigger.id), seen, rule=trigger.rule)
                self._add(snapshot, item, self._trigger_states(trigger.id))

    def _triggers_of(self, namespace: str) -> list:
        if namespace not in self._triggers:
            self._triggers[namespace] = trigger_rows.list_active_in_namespace(
                self.session, namespace
            )
        return self._triggers[namespace]

    def _matters(self, key: str | int, event: Event) -> bool:
        """Whether a status report can change what a user condition sees: one of its
        execution (later events included), or a user trigger on this event."""
        if any(t.plan.has_user_rules for t in self._targets(key)):
            return True
        return any(
            parse_trigger(trigger.rule).is_user and event.key in parse_trigger(trigger.rule).keys
            for trigger, _wf, _snapshot in self._triggers_of(event.namespace or "default")
        )

    def _apply(self, event: Event, report: Any) -> Event:
        """Follow a status report as the processor will; returns the event as rules
        will see it (a retried FAILED reads RETRYING)."""
        run = self._run_of(report.task_execution_id)
        if run is None:
            return event
        running = self._targets(run.execution_id)
        outcome, _task = decide(run.status, run.try_number, run.task_name, report, running)
        if outcome == Outcome.IGNORE:
            return event
        retried = outcome == Outcome.RETRY
        run.status = TaskStatus.RETRYING.value if retried else report.status.value
        if retried:
            run.try_number += 1
        if run.execution_id not in self._latest:
            self._latest[run.execution_id] = tasks.latest_sequence_numbers(
                self.session, run.execution_id
            )
        if self._latest[run.execution_id].get(run.task_name) == run.sequence_number:
            # Copy on write: items made earlier keep the statuses they were made with.
            statuses = dict(self._statuses_of(run.execution_id))
            statuses[run.task_name] = run.status
            self._statuses[run.execution_id] = statuses
        return dataclasses.replace(event, value=TaskStatus.RETRYING.value) if retried else event

    def _rule_states(self, execution_id: int, scope: str) -> Callable[[], dict[str, Any]]:
        return lambda: rule_state.scope_states(self.session, scope, execution_id=execution_id)

    def _trigger_states(self, trigger_id: int) -> Callable[[], dict[str, Any]]:
        return lambda: rule_state.scope_states(self.session, TRIGGER_SCOPE, trigger_id=trigger_id)

    def _add(
        self,
        snapshot: WorkflowSnapshotRow,
        item: EvalItem,
        load_states: Callable[[], dict[str, Any]],
    ) -> None:
        work = self.work.get(snapshot.id)
        if work is None:
            work = self.work[snapshot.id] = _Work(snapshot_files(snapshot))
        if item.scope not in work.states:
            work.states[item.scope] = load_states()
        work.items.append(item)


class Speculator:
    def __init__(
        self, factory: sessionmaker[Session], snapshots: SnapshotStore, pool: EvaluatorPool
    ) -> None:
        self._factory = factory
        self._snapshots = snapshots
        self.pool = pool

    def speculate(self, events: list[Event]) -> Speculation:
        with read_session(self._factory) as session:
            look = _Pass(session, self._snapshots)
            for event in events:
                look.step(event)
        results: dict[tuple[int, str], tuple[str | None, EvalResult]] = {}
        if look.work:
            self.pool.prepare([w.files for w in look.work.values()])
        for work in look.work.values():
            answers = self.pool.evaluate(work.files, work.items, work.states)
            for item, result in zip(work.items, answers, strict=True):
                assert item.event.offset is not None
                results[(item.event.offset, item.scope)] = (item.event.value, result)
        return Speculation(results, self.pool, self._snapshots)

    def empty(self, sync: bool = False) -> Speculation:
        return Speculation({}, self.pool, self._snapshots, sync=sync)
