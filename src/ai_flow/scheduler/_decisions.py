"""What the scheduler tells the decision log (`metadata/decisions.py`).

The event processor collects one row per (event, execution or trigger, rule) in memory,
runs of identical answers as one, and writes them with the batch, in one INSERT; timer
fires and user calls write theirs in their own transaction. `AIFLOW_DECISION_LOG=0`
turns the log off (a benchmark's switch, not a setting: the log is what `explain`
reads).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ai_flow.metadata import decisions
from notification_service.model import Event
from notification_service.util.clock import now_ms
from notification_service.util.environment import env

ENABLED = env("AIFLOW_DECISION_LOG", "1") != "0"

EVENT, TRIGGER, TIMER, USER = "EVENT", "TRIGGER", "TIMER", "USER"
MET, NOT_MET, ERROR = "MET", "NOT_MET", "ERROR"
START_EXECUTION, STOP_EXECUTION = "START_EXECUTION", "STOP_EXECUTION"


def event_fields(event: Event) -> dict[str, Any]:
    return {
        "event_offset": event.offset,
        "event_key": (event.key or "")[:1024],
        "namespace": event.namespace or "default",
        "sender": (event.sender or None) and event.sender[:255],
        "event_time": event.create_time or None,
    }


def answer_of(met: bool, error: str | None) -> str:
    return ERROR if error is not None else (MET if met else NOT_MET)


#: What a row is about: a run extends only the last row about the same thing.
_ABOUT = ("workflow_execution_id", "workflow_trigger_id", "task_name", "rule_index")
#: What the events of a run share besides that (offsets and times differ).
_SAME = (
    "source", "event_key", "namespace", "sender", "condition", "answer", "error", "changed",
    "action", "detail", "started_task_execution_id", "stopped_task_execution_id",
)  # fmt: skip


class DecisionLog:
    """Rows of one batch, written by `flush` in the batch's transaction.

    An event's row joins the previous one about the same execution or trigger and rule
    when that row is about the event just before it (consecutive offsets: nothing else
    lies in between) and says the same thing without an action taken: a run. So a
    condition that says "not met" to a stream costs a row per batch, and each event in
    the run still has its exact answer.
    """

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.added = 0  # decisions made, runs counted per event
        self._now = now_ms()
        self._last: dict[tuple[Any, ...], dict[str, Any]] = {}

    def add(self, source: str, **fields: Any) -> None:
        if not ENABLED:
            return
        self.added += 1
        fields["source"] = source
        offset = fields.get("event_offset")
        if offset is None or fields.get("taken"):
            fields["create_time"] = self._now
            self.rows.append(fields)
            return
        about = tuple(fields.get(k) for k in _ABOUT)
        run = self._last.get(about)
        if (
            run is not None
            and (run.get("last_offset") or run["event_offset"]) == offset - 1
            and offset - run["event_offset"] < decisions.RUN_SPAN
            and all(run.get(k) == fields.get(k) for k in _SAME)
        ):
            run["last_offset"] = offset
            run["event_count"] += 1
            return
        fields["create_time"] = self._now
        fields["event_count"] = 1
        self.rows.append(fields)
        self._last[about] = fields

    def flush(self, session: Session) -> None:
        if self.rows:
            decisions.record(session, self.rows)
            self.rows = []
        self._last.clear()


def record(session: Session, source: str, **fields: Any) -> None:
    """One decision outside an event batch (a timer fire, a user call)."""
    if ENABLED:
        decisions.record(session, [{**fields, "source": source, "create_time": now_ms()}])


def by_user(by: str | None) -> str:
    """Who made a user call, for a decision's detail: the token's name when auth is on."""
    return f"a user (token '{by}')" if by else "a user"


def user_cause(by: str | None) -> dict[str, Any]:
    """The cause of an execution a user started (see `start_workflow_execution`)."""
    return {"source": USER, "detail": f"started by {by_user(by)}"}


def record_user_decision(session: Session, **fields: Any) -> None:
    """What a user's call (start, stop, restart of a task) did."""
    record(session, USER, **fields)
