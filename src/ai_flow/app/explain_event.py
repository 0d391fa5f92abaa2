"""Where did an event go, or why did it go nowhere? Reads of the decision log (see
`ai_flow.app.explain`); for an event that reached no rule, what runs now (and, when the
event can be read from the notification server, its key and namespace) says why."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from ai_flow.app._context import App
from ai_flow.app.errors import NotFoundError
from ai_flow.app.explain import decision_dict
from ai_flow.metadata import (
    DecisionRow,
    WorkflowExecutionRow,
    WorkflowRow,
    decisions,
    executions,
    offsets,
    scheduler_errors,
)
from ai_flow.model.status import WorkflowStatus
from ai_flow.scheduler import PlanError, execution_id_of
from notification_service.model import Event

if TYPE_CHECKING:
    from notification_service.client import NotificationClient as EventReader

log = logging.getLogger(__name__)


def find_event(reader: EventReader | None, offset: int) -> Event | None:
    """The event at `offset` from the notification server; None if it cannot be read."""
    if reader is None:
        return None
    try:
        found = reader.list_events(begin_offset=offset - 1, end_offset=offset, limit=1)
    except Exception:  # noqa: BLE001 - the explanation goes on without the event log
        log.warning("could not read event %s", offset, exc_info=True)
        return None
    return next((e for e in found if e.offset == offset), None)


def _refuse_beyond_the_log(reader: EventReader | None, offset: int) -> None:
    """NotFoundError for an offset the log has not reached (a typo, most likely)."""
    if reader is None:
        return
    try:
        latest = reader.get_latest_offset()
    except Exception:  # noqa: BLE001 - without the log, explain what the database knows
        return
    if offset > latest:
        raise NotFoundError(f"event {offset} does not exist (the latest offset is {latest})")


def explain_event(
    app: App, offset: int, event: Event | None = None, reader: EventReader | None = None
) -> dict[str, Any]:
    """Where the event at `offset` went (executions, triggers, rules, answers, actions),
    or why it went nowhere. Without `event`, it is read with `reader` (default
    `app.events`) when the decision log has nothing of it."""
    with app.read() as s:
        rows = decisions.for_event(s, offset)
        committed = offsets.get_offset(s)
        if event is None and not rows:
            reader = reader or app.events
            event = find_event(reader, offset)
            if event is None:
                _refuse_beyond_the_log(reader, offset)
        out: dict[str, Any] = {"offset": offset, "processed": offset <= committed}
        if rows:
            first = rows[0]
            out["event"] = {
                "key": first.event_key,
                "namespace": first.namespace,
                "sender": first.sender,
            }
        elif event is not None:
            out["event"] = {"key": event.key, "namespace": event.namespace, "sender": event.sender}
        else:
            out["event"] = None
        out["decisions"] = [decision_dict(r) for r in rows]
        out["reasons"] = [_decision_line(r) for r in rows] or _nowhere(
            app, s, offset, committed, event
        )
        return out


def _decision_line(row: DecisionRow) -> str:
    if row.workflow_trigger_id is not None and row.task_name is None:
        where = f"trigger {row.workflow_trigger_id}"
    else:
        where = f"execution {row.workflow_execution_id}"
        if row.task_name is not None:
            where += f" task {row.task_name}"
    if row.rule_index is not None:
        where += f" rule {row.rule_index} ({row.condition})"
    answer = f"{row.answer}: " if row.answer else ""
    return f"{where}: {answer}{row.detail or row.action}"


def _nowhere(app: App, s: Session, offset: int, committed: int, event: Event | None) -> list[str]:
    if offset > committed:
        return [f"not processed yet: the scheduler is at offset {committed}"]
    error = scheduler_errors.get_error(s, offset)
    if error is not None:
        return [f"skipped after failing every time: {error.error}"]
    if event is None:
        return [
            f"it reached no rule nor trigger (the event itself cannot be read here; "
            f"{decisions.unreached_events(s)} events reached none so far)"
        ]
    namespace = event.namespace or "default"
    own = execution_id_of(event)
    if own is not None:
        row = s.get(WorkflowExecutionRow, own)
        if row is None:
            return [f"it was sent by execution {own}, which no longer exists"]
        if row.status != WorkflowStatus.RUNNING.value:
            return [f"it was sent by execution {own}, which is {row.status}, not RUNNING"]
        return [f"it was sent by execution {own}, whose rules do not expect key {event.key}"]
    reasons = []
    here: list[tuple[WorkflowExecutionRow, WorkflowRow]] = []
    elsewhere: list[tuple[WorkflowExecutionRow, WorkflowRow]] = []
    for execution, wf, snapshot in executions.list_running(s):
        try:
            plan = app.snapshots.plan(snapshot)
        except PlanError:
            continue
        if plan.expects(event.key):
            (here if wf.namespace == namespace else elsewhere).append((execution, wf))
    for execution, wf in here:
        if execution.begin_date > (event.create_time or 0):
            reasons.append(
                f"execution {execution.id} of {wf.namespace}.{wf.name} expects key "
                f"{event.key} but started after the event"
            )
    if not here:
        reasons.append(f"no running execution in namespace {namespace} expects key {event.key}")
    for execution, wf in elsewhere:
        reasons.append(
            f"execution {execution.id} of {wf.namespace}.{wf.name} expects key {event.key}, "
            f"but in namespace {wf.namespace}: events never cross namespaces"
        )
    if not reasons:
        reasons.append("it reached no rule nor trigger")
    return reasons
