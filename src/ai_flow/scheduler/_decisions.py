"""What the scheduler tells the decision log (`metadata/decisions.py`).

The event processor collects one row per (event, execution or trigger, rule) in memory
and writes them with the batch, in one INSERT; timer fires and user calls write theirs
in their own transaction. `AIFLOW_DECISION_LOG=0` turns the log off (a benchmark's
switch, not a setting: the log is what `explain` reads).
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


class DecisionLog:
    """Rows of one batch, written by `flush` in the batch's transaction."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._now = now_ms()

    def add(self, source: str, **fields: Any) -> None:
        if ENABLED:
            fields["source"] = source
            fields["create_time"] = self._now
            self.rows.append(fields)

    def flush(self, session: Session) -> None:
        if self.rows:
            decisions.record(session, self.rows)
            self.rows = []


def record(session: Session, source: str, **fields: Any) -> None:
    """One decision outside an event batch (a timer fire, a user call)."""
    if ENABLED:
        decisions.record(session, [{**fields, "source": source, "create_time": now_ms()}])


def record_user_decision(session: Session, **fields: Any) -> None:
    """What a user's call (start, stop, restart of a task) did."""
    record(session, USER, **fields)
