"""Why did (or didn't) it run? Pure reads of the decision log (`metadata/decisions.py`).

Each use case returns a JSON-able dict (the gRPC API carries it as JSON, REST returns
it as is): a task's timeline and what it waits for, what started an execution and what
was decided in it (where an event went: `explain_event.py`). The keys a rule still
waits for are checked against the event log when the App can read the notification
server (`App.events`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from ai_flow.app._context import App
from ai_flow.app.errors import NotFoundError
from ai_flow.metadata import (
    MAX_LIMIT,
    DecisionRow,
    TaskExecutionRow,
    WorkflowExecutionRow,
    decisions,
    executions,
    ms_to_datetime,
    snapshots,
    workflows,
)
from ai_flow.metadata import task_executions as tasks
from ai_flow.model.internal.events import parse_task_status_event_key
from ai_flow.model.status import TASK_ALIVE, WorkflowStatus
from ai_flow.scheduler import PlanError, WorkflowPlan

if TYPE_CHECKING:
    from notification_service.client import NotificationClient as EventReader

log = logging.getLogger(__name__)

_LAST_ANSWERS = 5


def _iso(ms: int | None) -> str | None:
    value = ms_to_datetime(ms)
    return value.isoformat() if value else None


def decision_dict(row: DecisionRow) -> dict[str, Any]:
    event = None
    if row.event_offset is not None:
        event = {
            "offset": row.event_offset,
            # A run of consecutive events that got the same answer: offset..last_offset.
            "last_offset": row.last_offset,
            "events": row.event_count,
            "key": row.event_key,
            "namespace": row.namespace,
            "sender": row.sender,
        }
    return {
        "id": row.id,
        "time": _iso(row.create_time),
        "source": row.source,
        "event": event,
        "event_time": _iso(row.event_time),
        "workflow_execution_id": row.workflow_execution_id,
        "workflow_trigger_id": row.workflow_trigger_id,
        "task_name": row.task_name,
        "rule_index": row.rule_index,
        "condition": row.condition,
        "answer": row.answer,
        "error": row.error,
        "changed": row.changed or [],
        "action": row.action,
        "taken": row.taken,
        "detail": row.detail,
        "started_task_execution_id": row.started_task_execution_id,
        "stopped_task_execution_id": row.stopped_task_execution_id,
    }


def _key_label(key: str) -> str:
    status = parse_task_status_event_key(key)
    return f"status of task {status.task_name}" if status else f"key {key!r}"


def _plan(app: App, s: Session, snapshot_id: int) -> WorkflowPlan | None:
    try:
        return app.snapshots.plan(snapshots.get_snapshot(s, snapshot_id))
    except PlanError:
        return None


# A task of an execution


def _run_dict(
    run: TaskExecutionRow, started: DecisionRow | None, stopped: DecisionRow | None
) -> dict[str, Any]:
    if started is None:
        started_by = {"source": None, "detail": "not recorded (before the decision log)"}
    else:
        started_by = decision_dict(started)
    if stopped is not None:
        stopped_by: dict[str, Any] | None = decision_dict(stopped)
    elif run.status in TASK_ALIVE:
        stopped_by = None
    else:
        why = f" ({run.stop_reason})" if run.stop_reason else ""
        stopped_by = {"source": "STATUS", "detail": f"the run ended {run.status}{why}"}
    return {
        "task_execution_id": run.id,
        "sequence_number": run.sequence_number,
        "try_number": run.try_number,
        "status": run.status,
        "begin_date": _iso(run.begin_date),
        "end_date": _iso(run.end_date),
        "started_by": started_by,
        "stopped_by": stopped_by,
    }


def _waits(
    reader: EventReader | None,
    s: Session,
    execution: WorkflowExecutionRow,
    namespace: str,
    task: str,
    rule: Any,
) -> list[dict[str, Any]]:
    """The keys of a rule that no event brought to it since the execution started."""
    out = []
    for key in sorted(rule.keys):
        if decisions.reached_rule(s, execution.id, task, rule.index, key):
            continue
        count = _count_events(reader, key, namespace, execution.begin_date)
        if count is None or count == 0:
            message = (
                f"no event with key {key} in namespace {namespace} since the execution started"
            )
            if count is None:
                message += " reached this rule"
        else:
            message = (
                f"{count} event(s) with key {key} in namespace {namespace} since the execution "
                "started, none reached this rule (sent from another execution?)"
            )
        out.append({"key": key, "namespace": namespace, "message": message})
    return out


def _count_events(reader: EventReader | None, key: str, namespace: str, since: int) -> int | None:
    if reader is None:
        return None
    try:
        return reader.count_events(key, namespace=namespace, begin_time=since)[0]
    except Exception:  # noqa: BLE001 - the explanation goes on without the event log
        log.warning("could not count events of key %r", key, exc_info=True)
        return None


def explain_task_execution(
    app: App, execution_id: int, task_name: str, reader: EventReader | None = None
) -> dict[str, Any]:
    """The task's runs (what started and stopped each) and, unless it runs now, why not.
    `reader` (default `app.events`) counts the events a rule still waits for."""
    reader = reader or app.events
    with app.read() as s:
        execution = executions.get_execution(s, execution_id)
        wf = workflows.get_workflow_by_id(s, execution.workflow_id)
        plan = _plan(app, s, execution.snapshot_id)
        if plan is not None and task_name not in plan.tasks:
            raise NotFoundError(f"workflow {wf.namespace}.{wf.name} has no task {task_name!r}")
        runs = [
            r
            for r in tasks.list_task_executions(s, execution_id, limit=MAX_LIMIT)
            if r.task_name == task_name
        ]
        ids = [r.id for r in runs]
        started, stopped = decisions.started(s, ids), decisions.stopped(s, ids)
        timeline = [_run_dict(r, started.get(r.id), stopped.get(r.id)) for r in runs]
        alive = bool(runs) and runs[-1].status in TASK_ALIVE
        out: dict[str, Any] = {
            "workflow_execution_id": execution_id,
            "workflow": f"{wf.namespace}.{wf.name}",
            "task_name": task_name,
            "execution_status": execution.status,
            "running": alive,
            "runs": timeline,
            "why_not_running": None,
        }
        if alive:
            return out
        reasons: list[str] = []
        if execution.status != WorkflowStatus.RUNNING.value:
            reasons.append(f"the execution is {execution.status}: no rule is evaluated any more")
        if not wf.is_enabled:
            reasons.append(f"workflow {wf.namespace}.{wf.name} is disabled")
        rules_out = []
        for rule in plan.rules.get(task_name, []) if plan else []:
            last = [
                {**decision_dict(d), "_at": d.create_time}
                for d in decisions.for_rule(s, execution_id, task_name, rule.index, _LAST_ANSWERS)
            ]
            waits = _waits(reader, s, execution, wf.namespace, task_name, rule)
            rules_out.append(
                {
                    "rule_index": rule.index,
                    "action": rule.action.value,
                    "condition": rule.condition_name,
                    "keys": [_key_label(k) for k in sorted(rule.keys)],
                    "last_answers": last,
                    "waiting_for": waits,
                }
            )
            reason = _rule_reason(rule.index, rule.condition_name, last, waits)
            ended = runs[-1].end_date if runs else None
            if last and ended is not None and (last[0]["_at"] or 0) < ended:
                reason += f"; nothing reached it since run {runs[-1].sequence_number} ended"
            reasons.append(reason)
            for answer in last:
                answer.pop("_at", None)
        if plan is not None and not plan.rules.get(task_name):
            if task_name in plan.periodic_tasks:
                reasons.append(f"periodic task ({plan.periodic_tasks[task_name]}): runs on fires")
            elif not runs:
                reasons.append("no rule and it has not run: it starts with the execution")
            else:
                reasons.append("no rule: it ran once, with the execution")
        out["why_not_running"] = {"reasons": reasons, "rules": rules_out}
        return out


def _rule_reason(
    index: int, condition: str, last: list[dict[str, Any]], waits: list[dict[str, Any]]
) -> str:
    head = f"rule {index} ({condition})"
    if last:
        newest = last[0]
        event = newest["event"]
        where = ""
        if event:
            # The newest answer: the last event of a run.
            where = f" on event {event['last_offset'] or event['offset']} ({event['key']})"
        answer = newest["answer"] or "not evaluated"
        return f"{head}: {answer}{where}: {newest['detail']}"
    if waits:
        return f"{head}: {waits[0]['message']}"
    return f"{head}: never evaluated"


# An execution


def explain_workflow_execution(
    app: App, execution_id: int, limit: int | None = None, offset: int | None = None
) -> dict[str, Any]:
    """What started the execution, and its decisions newest first (one page)."""
    with app.read() as s:
        execution = executions.get_execution(s, execution_id)
        wf = workflows.get_workflow_by_id(s, execution.workflow_id)
        start = decisions.execution_start(s, execution_id)
        if start is not None:
            started_by = decision_dict(start)
        else:
            started_by = {"source": None, "detail": _inferred_start(execution)}
        page = decisions.for_execution(s, execution_id, limit=limit, offset=offset)
        return {
            "id": execution_id,
            "workflow": f"{wf.namespace}.{wf.name}",
            "status": execution.status,
            "execution_type": execution.execution_type,
            "begin_date": _iso(execution.begin_date),
            "end_date": _iso(execution.end_date),
            "started_by": started_by,
            "total_decisions": decisions.count_for_execution(s, execution_id),
            "decisions": [decision_dict(d) for d in page],
        }


def _inferred_start(execution: WorkflowExecutionRow) -> str:
    info = execution.trigger_info or {}
    if "schedule_id" in info:
        return f"schedule {info['schedule_id']} (not in the decision log)"
    if "trigger_id" in info:
        return f"trigger {info['trigger_id']} on event {execution.event_offset}"
    return f"{execution.execution_type} start (not in the decision log)"
