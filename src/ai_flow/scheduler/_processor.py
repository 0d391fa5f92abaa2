"""One batch of events -> rule state, task changes and executor commands, in one session.

The caller commits the session together with the new scheduler offset; nothing here
commits, so a crash anywhere loses or repeats nothing. Built-in conditions are
evaluated here; the answers of user conditions come from a `Speculation` (computed
in evaluator processes before the transaction opened).
"""

from __future__ import annotations

import itertools
import json
import logging

from ai_flow.evaluator import ERROR_STATE, RuleContext
from ai_flow.metadata import TaskExecutionRow, WorkflowExecutionRow
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.internal.events import is_task_status_event_key
from ai_flow.model.status import TaskStatus
from ai_flow.scheduler import _decisions as dlog
from ai_flow.scheduler._actions import apply_action, refresh_workflow_status, retry_task
from ai_flow.scheduler._batch import Batch, Target
from ai_flow.scheduler._decisions import event_fields
from ai_flow.scheduler._lookup import Speculation
from ai_flow.scheduler._plan import RulePlan
from ai_flow.scheduler._reports import Outcome, StatusReport, decide, parse_report
from ai_flow.scheduler._snapshots import SnapshotStore
from ai_flow.scheduler._triggers import fire_triggers
from notification_service.model import Event

log = logging.getLogger(__name__)


def execution_id_of(event: Event) -> int | None:
    """The workflow execution an event is tagged with, if any."""
    if not event.context or not event.context.startswith("{"):
        return None
    try:
        value = json.loads(event.context).get("workflow_execution_id")
    except (ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, int) else None


def targets_key(event: Event) -> str | int:
    """Which running executions an event concerns: its own (by id) or its namespace's."""
    own = execution_id_of(event)
    return own if own is not None else (event.namespace or "default")


class EventProcessor:
    def __init__(self, snapshots: SnapshotStore) -> None:
        self._snapshots = snapshots

    def process(self, session, events: list[Event], lookup: Speculation) -> int:  # noqa: ANN001
        """Process `events` in order; returns how many. It stops after an event on which
        a trigger started an execution: the scheduler may not read the new execution's
        keys yet, so the events after it must come again through a new listen filter."""
        batch = Batch(session, self._snapshots)
        done = 0
        for index, event in enumerate(events):
            done += 1
            if self._process_one(batch, index, event, lookup):
                break
        batch.flush()
        return done

    def _process_one(self, batch: Batch, index: int, event: Event, lookup: Speculation) -> bool:
        """Returns whether a trigger started an execution."""
        changed = None
        report = parse_report(event)
        if report is not None:
            changed = self._apply_status(batch, event, report)
        elif is_task_status_event_key(event.key):
            log.warning("ignoring malformed task status event at offset %s", event.offset)
        reached = batch.log.added
        targets = self._targets(batch, event)
        for target in targets:
            # A disabled workflow schedules nothing new; its runs still finish and count.
            if target.workflow.is_enabled:
                acted = self._evaluate(batch, index, target, event, lookup)
            else:
                acted = False
                self._not_evaluated(batch, target, event, "workflow disabled")
            if acted or target.execution.id == changed:
                refresh_workflow_status(batch.session, target.execution, target.plan)
        if not targets:
            self._not_running(batch, event)
        started = bool(fire_triggers(batch, index, event, lookup))
        if batch.log.added == reached:
            batch.unreached += 1
        return started

    @staticmethod
    def _not_evaluated(batch: Batch, target: Target, event: Event, why: str) -> None:
        fields = event_fields(event)
        for rule in target.plan.rules_expecting(event.key):
            batch.log.add(
                dlog.EVENT,
                **fields,
                workflow_execution_id=target.execution.id,
                task_name=rule.task,
                rule_index=rule.index,
                condition=rule.condition_name,
                action=rule.action.value,
                detail=why,
            )

    @staticmethod
    def _not_running(batch: Batch, event: Event) -> None:
        """An event of one execution that is not RUNNING any more: say so, once."""
        own = execution_id_of(event)
        if own is None or not dlog.ENABLED:
            return
        row = batch.session.get(WorkflowExecutionRow, own)
        if row is not None:
            batch.log.add(
                dlog.EVENT,
                **event_fields(event),
                workflow_execution_id=own,
                detail=f"execution {own} is {row.status}, not RUNNING: no rule evaluated",
            )

    def _apply_status(self, batch: Batch, event: Event, report: StatusReport) -> int | None:
        """Record a task's reported status; returns its execution id if it changed.

        A FAILED try that will be retried becomes RETRYING, and so does the event's value
        (in place) so the rules evaluated on it see RETRYING, not FAILED.
        """
        row = batch.session.get(TaskExecutionRow, report.task_execution_id)
        if row is None:
            return None
        running = batch.running(row.workflow_execution_id)
        outcome, task = decide(row.status, row.try_number, row.task_name, report, running)
        if outcome == Outcome.IGNORE:
            return None
        if outcome == Outcome.RETRY:
            assert task is not None
            delay = task.retry_delay_of(row.try_number)
            log.info(
                "task %s of execution %s failed on try %s; retrying in %.1fs",
                row.task_name,
                row.workflow_execution_id,
                row.try_number,
                delay,
            )
            retry_task(batch.session, row, delay, report.error)
            event.value = TaskStatus.RETRYING.value
        else:
            tasks.update_task_status(batch.session, row.id, report.status, error=report.error)
        batch.tasks_changed(row.workflow_execution_id)
        return row.workflow_execution_id

    @staticmethod
    def _targets(batch: Batch, event: Event) -> list[Target]:
        """Running executions the event concerns: its own, or those of its namespace
        whose rules expect the key."""
        key = targets_key(event)
        rows = batch.running(key)
        if isinstance(key, int):
            return rows
        return [t for t in rows if t.plan.expects(event.key)]

    def _evaluate(
        self, batch: Batch, index: int, target: Target, event: Event, lookup: Speculation
    ) -> bool:
        """Evaluate every rule expecting the event; returns whether an action was taken.

        Every matching rule sees the event (its state stays right); per task, the first
        action wins. Each answer goes to the decision log with what it led to.
        """
        acted = False
        execution_id = target.execution.id
        rules = target.plan.rules_expecting(event.key)
        fields = event_fields(event) if dlog.ENABLED else {}
        for task_name, task_rules in itertools.groupby(rules, key=lambda r: r.task):
            chosen: RulePlan | None = None
            answers = []
            for rule in task_rules:
                met, error, changed = self._met(batch, index, target, rule, event, lookup)
                answers.append((rule, met, error, changed))
                if met and chosen is None:
                    chosen = rule
            done = None
            if chosen is not None:
                done = apply_action(batch.session, execution_id, task_name, chosen.action)
                if done.done:  # a skipped START or STOP changed nothing
                    batch.tasks_changed(execution_id)
                    acted = True
            if not dlog.ENABLED:
                continue
            for rule, met, error, changed in answers:
                row = {
                    **fields,
                    "workflow_execution_id": execution_id,
                    "task_name": task_name,
                    "rule_index": rule.index,
                    "condition": rule.condition_name,
                    "answer": dlog.answer_of(met, error),
                    "error": error,
                    "changed": sorted(changed) if changed else None,
                    "action": rule.action.value,
                }
                if rule is chosen and done is not None:
                    row.update(
                        taken=done.done,
                        detail=done.detail,
                        started_task_execution_id=done.started,
                        stopped_task_execution_id=done.stopped,
                    )
                elif met and chosen is not None:
                    row["detail"] = f"rule {chosen.index} of {task_name} was met first"
                else:
                    row["detail"] = "condition failed" if error else "condition not met"
                batch.log.add(dlog.EVENT, **row)
        return acted

    @staticmethod
    def _met(
        batch: Batch, index: int, target: Target, rule: RulePlan, event: Event, lookup: Speculation
    ) -> tuple[bool, str | None, frozenset[str] | set[str]]:
        """(met, error, state keys changed)."""
        execution_id = target.execution.id
        states = batch.states(execution_id, rule.scope)
        statuses = batch.statuses(execution_id)
        if rule.condition is None:
            result = lookup.task_rule(index, event, target, rule, statuses, states)
            if result.error is not None:
                log.error("rule %s of task %s failed: %s", rule.index, rule.task, result.error)
            if result.changed:
                batch.put_states(execution_id, rule.scope, dict(result.after), result.changed)
            return result.met, result.error, result.changed
        context = RuleContext(statuses, states)
        try:
            met = rule.condition.expects(event) and bool(rule.condition.is_met(event, context))
        except Exception as exc:  # noqa: BLE001 - a built-in condition's bug stays in its rule
            log.exception("built-in rule %s of task %s failed", rule.index, rule.task)
            message = f"condition raised {type(exc).__name__}: {exc}"
            batch.put_states(execution_id, rule.scope, {ERROR_STATE: message}, {ERROR_STATE})
            return False, message, {ERROR_STATE}
        if context.changed:
            batch.put_states(execution_id, rule.scope, context.states, context.changed)
        return met, None, context.changed
