"""One batch of events -> rule state, task changes and executor commands, in one session.

The caller commits the session together with the new scheduler offset; nothing here
commits, so a crash anywhere loses or repeats nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

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
from ai_flow.scheduler._snapshots import SnapshotStore
from notification_service.model import Event

log = logging.getLogger(__name__)

ERROR_STATE = "__error__"
_FINISHED_TASK = frozenset(s.value for s in TASK_FINISHED_STATUSES)


@dataclass
class BatchResult:
    events: int = 0
    touched_executions: set[int] = field(default_factory=set)


def execution_id_of(event: Event) -> int | None:
    """The workflow execution an event is tagged with, if any."""
    if not event.context or not event.context.startswith("{"):
        return None
    try:
        value = json.loads(event.context).get("workflow_execution_id")
    except (ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, int) else None


class EventProcessor:
    def __init__(self, snapshots: SnapshotStore, evaluator: GuardedEvaluator) -> None:
        self._snapshots = snapshots
        self._evaluator = evaluator

    def process(self, session: Session, events: list[Event]) -> BatchResult:
        result = BatchResult()
        for event in events:
            result.events += 1
            self._process_one(session, event, result)
        return result

    def _process_one(self, session: Session, event: Event, result: BatchResult) -> None:
        if parse_task_status_event_key(event.key) is not None:
            self._apply_status(session, event)
        for execution, workflow in self._targets(session, event):
            self._evaluate(session, execution, workflow, event)
            refresh_workflow_status(session, execution, workflow)
            result.touched_executions.add(execution.id)

    def _apply_status(self, session: Session, event: Event) -> None:
        try:
            info = json.loads(event.context or "{}")
            row = session.get(TaskExecutionRow, int(info["task_execution_id"]))
            status = TaskStatus(event.value)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring malformed task status event at offset %s", event.offset)
            return
        if row is None or row.status in _FINISHED_TASK:
            return  # a late or repeated report: the first final status stands
        if row.status == TaskStatus.STOPPING.value and status == TaskStatus.RUNNING:
            return  # asked to stop before it came up; keep STOPPING
        tasks.update_task_status(session, row.id, status)

    def _targets(
        self, session: Session, event: Event
    ) -> list[tuple[WorkflowExecutionRow, Workflow]]:
        """Running executions the event concerns: its own, or all in its namespace."""
        query = (
            select(WorkflowExecutionRow, WorkflowRow.name, WorkflowSnapshotRow)
            .join(WorkflowRow, WorkflowRow.id == WorkflowExecutionRow.workflow_id)
            .join(WorkflowSnapshotRow, WorkflowSnapshotRow.id == WorkflowExecutionRow.snapshot_id)
            .where(WorkflowExecutionRow.status == WorkflowStatus.RUNNING.value)
        )
        own = execution_id_of(event)
        if own is not None:
            query = query.where(WorkflowExecutionRow.id == own)
        else:
            query = query.where(WorkflowRow.namespace == (event.namespace or "default"))
        targets = []
        for execution, name, snapshot in session.execute(query):
            try:
                workflow = self._snapshots.workflow(snapshot, name)
            except Exception:  # noqa: BLE001 - a broken snapshot must not stop scheduling
                log.exception("cannot load snapshot %s of workflow %s", snapshot.id, name)
                continue
            if workflow.rules_expecting(event.key) or own is not None:
                targets.append((execution, workflow))
        return targets

    def _evaluate(
        self, session: Session, execution: WorkflowExecutionRow, workflow: Workflow, event: Event
    ) -> None:
        statuses = latest_statuses(session, execution.id)
        for task_name, rules in workflow.rules.items():
            chosen = None
            # Every matching rule sees the event (its state stays right); the first action wins.
            for index, rule in enumerate(rules):
                if not rule.condition.expects(event):
                    continue
                scope = f"{task_name}#{index}"
                context = RuleContext(statuses, self._load_states(session, execution.id, scope))
                try:
                    action = self._evaluator.run(lambda r=rule, c=context: r.trigger(event, c))
                except ConditionError as exc:
                    log.error("rule %s of task %s failed: %s", index, task_name, exc)
                    rule_state.put_state(
                        session, scope, ERROR_STATE, str(exc), execution_id=execution.id
                    )
                    continue
                for name in context.changed:
                    rule_state.put_state(
                        session, scope, name, context.states.get(name), execution_id=execution.id
                    )
                if action is not None and chosen is None:
                    chosen = action
            if chosen is not None:
                apply_action(session, execution.id, task_name, chosen)
                statuses = latest_statuses(session, execution.id)

    @staticmethod
    def _load_states(session: Session, execution_id: int, scope: str) -> dict:
        rows = session.execute(
            select(RuleStateRow.name, RuleStateRow.value).where(
                RuleStateRow.workflow_execution_id == execution_id,
                RuleStateRow.scope == scope,
            )
        )
        return {name: value for name, value in rows}
