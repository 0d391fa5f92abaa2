"""The decision log: what each event, timer fire and user call did, and why.

Rows are written by the scheduler in the transaction of the batch (or fire, or call)
they describe, in one bulk INSERT; they go with their execution or trigger (ON
DELETE CASCADE, so history retention takes them along) and the oldest beyond
`decision_log_max_rows` are trimmed. Events that reached no rule are only counted, on
the scheduler's offset row. Consecutive events that got the same answer from one rule
share a row (a run: `event_offset`..`last_offset`, `event_count` events), so a rule that
answers "not met" to a stream of events costs a row per batch, not per event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import DecisionRow, SchedulerOffsetRow
from ai_flow.metadata._util import page, rowcount

#: Every column a decision row is written with (a multi-row INSERT needs them all).
COLUMNS = (
    "create_time",
    "source",
    "event_offset",
    "last_offset",
    "event_count",
    "event_key",
    "namespace",
    "sender",
    "event_time",
    "workflow_execution_id",
    "workflow_trigger_id",
    "task_name",
    "rule_index",
    "condition",
    "answer",
    "error",
    "changed",
    "action",
    "taken",
    "detail",
    "started_task_execution_id",
    "stopped_task_execution_id",
)
_DETAIL = 1024
#: The most events a run covers (the scheduler's batches are smaller): what event
#: lookups scan back over.
RUN_SPAN = 1000


def record(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts of COLUMNS; missing ones are NULL) in one statement."""
    if not rows:
        return
    full = []
    for row in rows:
        values = dict.fromkeys(COLUMNS)
        values.update(row)
        values["taken"] = bool(values["taken"])
        values["event_count"] = values["event_count"] or 1
        if values["detail"] is not None and len(values["detail"]) > _DETAIL:
            values["detail"] = values["detail"][: _DETAIL - 3] + "..."
        full.append(values)
    session.execute(insert(DecisionRow), full)


def count_unreached(session: Session, events: int) -> None:
    """Add `events` to the count of events that reached no rule nor trigger."""
    if events > 0:
        session.execute(
            update(SchedulerOffsetRow)
            .where(SchedulerOffsetRow.id == 1)
            .values(unreached_events=SchedulerOffsetRow.unreached_events + events)
        )


def unreached_events(session: Session) -> int:
    stmt = select(SchedulerOffsetRow.unreached_events).where(SchedulerOffsetRow.id == 1)
    return int(session.scalar(stmt) or 0)


def for_execution(
    session: Session,
    execution_id: int,
    task_name: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> list[DecisionRow]:
    """The decisions of an execution (optionally about one task), newest first."""
    stmt = select(DecisionRow).where(DecisionRow.workflow_execution_id == execution_id)
    if task_name is not None:
        stmt = stmt.where(DecisionRow.task_name == task_name)
    stmt = stmt.order_by(DecisionRow.id.desc())
    return list(session.scalars(page(stmt, limit, offset)))


def for_event(session: Session, event_offset: int) -> list[DecisionRow]:
    """What the event at `event_offset` did, in the order it was decided (its own rows
    and the runs it is in)."""
    stmt = (
        select(DecisionRow)
        .where(
            DecisionRow.event_offset.between(event_offset - RUN_SPAN + 1, event_offset),
            func.coalesce(DecisionRow.last_offset, DecisionRow.event_offset) >= event_offset,
        )
        .order_by(DecisionRow.id)
        .limit(1000)
    )
    return list(session.scalars(stmt))


def for_rule(
    session: Session, execution_id: int, task_name: str, rule_index: int, limit: int = 5
) -> list[DecisionRow]:
    """The last answers of one rule of an execution, newest first."""
    stmt = (
        select(DecisionRow)
        .where(
            DecisionRow.workflow_execution_id == execution_id,
            DecisionRow.task_name == task_name,
            DecisionRow.rule_index == rule_index,
        )
        .order_by(DecisionRow.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def started(session: Session, task_execution_ids: Sequence[int]) -> dict[int, DecisionRow]:
    """The decision that started each of these task executions (if recorded)."""
    return _by_run(session, DecisionRow.started_task_execution_id, task_execution_ids)


def stopped(session: Session, task_execution_ids: Sequence[int]) -> dict[int, DecisionRow]:
    """The decision that asked each of these task executions to stop (if recorded)."""
    return _by_run(session, DecisionRow.stopped_task_execution_id, task_execution_ids)


def _by_run(session: Session, column: Any, ids: Sequence[int]) -> dict[int, DecisionRow]:
    if not ids:
        return {}
    rows = session.scalars(
        select(DecisionRow).where(column.in_(list(ids))).order_by(DecisionRow.id)
    )
    out: dict[int, DecisionRow] = {}
    for row in rows:
        out.setdefault(getattr(row, column.key), row)  # the first one acted
    return out


def trim(session: Session, max_rows: int, limit: int = 10_000) -> int:
    """Delete the rows older than the newest `max_rows` ids, at most `limit` of them (a
    short transaction); returns how many. Ids grow with time: one indexed range delete."""
    newest, oldest = session.execute(
        select(func.max(DecisionRow.id), func.min(DecisionRow.id))
    ).one()
    if newest is None or newest - oldest < max_rows:
        return 0
    cut = min(newest - max_rows, oldest + limit - 1)
    return rowcount(session.execute(delete(DecisionRow).where(DecisionRow.id <= cut)))


def purge_unowned(session: Session, before: int) -> int:
    """Delete rows older than `before` (ms) that belong to no execution (a trigger's
    answers that started nothing, events of executions gone): history retention."""
    stmt = delete(DecisionRow).where(
        DecisionRow.create_time < before, DecisionRow.workflow_execution_id.is_(None)
    )
    return rowcount(session.execute(stmt))


def execution_start(session: Session, execution_id: int) -> DecisionRow | None:
    """The decision that started the execution (its START_EXECUTION row)."""
    stmt = (
        select(DecisionRow)
        .where(
            DecisionRow.workflow_execution_id == execution_id,
            DecisionRow.action == "START_EXECUTION",
        )
        .order_by(DecisionRow.id)
        .limit(1)
    )
    return session.scalars(stmt).first()


def count_for_execution(session: Session, execution_id: int) -> int:
    stmt = select(func.count()).where(DecisionRow.workflow_execution_id == execution_id)
    return int(session.scalar(stmt) or 0)


def reached_rule(
    session: Session, execution_id: int, task_name: str, rule_index: int, event_key: str
) -> bool:
    """Whether any event with `event_key` reached this rule of the execution."""
    stmt = (
        select(DecisionRow.id)
        .where(
            DecisionRow.workflow_execution_id == execution_id,
            DecisionRow.task_name == task_name,
            DecisionRow.rule_index == rule_index,
            DecisionRow.event_key == event_key,
        )
        .limit(1)
    )
    return session.scalar(stmt) is not None
