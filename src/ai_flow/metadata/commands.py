"""The executor outbox: commands written with the scheduler's transaction, then executed."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import TaskCommandRow
from ai_flow.metadata._util import enum_value, page
from ai_flow.metadata.errors import NotFoundError
from ai_flow.metadata.task_executions import get_task_execution
from ai_flow.model.action import TaskAction
from notification_service.util.clock import now_ms


def add_command(
    session: Session,
    task_execution_id: int,
    action: TaskAction | str,
    not_before: int | None = None,
    reason: str | None = None,
) -> TaskCommandRow:
    """Queue a command; `not_before` (epoch ms) delays it, e.g. a retry's backoff;
    `reason` says why a STOP was asked for."""
    get_task_execution(session, task_execution_id)
    # Read by whoever committed the session (the scheduler's metrics): did it decide?
    session.info["commands_added"] = session.info.get("commands_added", 0) + 1
    row = TaskCommandRow(
        task_execution_id=task_execution_id,
        action=enum_value(TaskAction, action),
        create_time=now_ms(),
        done=False,
        not_before=not_before,
        reason=reason,
    )
    session.add(row)
    session.flush()
    return row


def pending(
    session: Session, limit: int | None = None, now: int | None = None
) -> list[TaskCommandRow]:
    """Commands not yet done, oldest first; with `now`, only those due by then."""
    stmt = select(TaskCommandRow).where(TaskCommandRow.done.is_(False))
    if now is not None:
        stmt = stmt.where(
            or_(TaskCommandRow.not_before.is_(None), TaskCommandRow.not_before <= now)
        )
    return list(session.scalars(page(stmt.order_by(TaskCommandRow.id), limit, 0)))


def next_delayed_time(session: Session, now: int) -> int | None:
    """When the earliest not-yet-due pending command becomes due (epoch ms), if any."""
    stmt = (
        select(TaskCommandRow.not_before)
        .where(TaskCommandRow.done.is_(False), TaskCommandRow.not_before > now)
        .order_by(TaskCommandRow.not_before)
        .limit(1)
    )
    return session.scalar(stmt)


def has_pending(session: Session) -> bool:
    stmt = select(TaskCommandRow.id).where(TaskCommandRow.done.is_(False)).limit(1)
    return session.scalar(stmt) is not None


def mark_done(session: Session, command_id: int) -> TaskCommandRow:
    """Mark a command executed; marking it again keeps the first done_time."""
    row = session.get(TaskCommandRow, command_id)
    if row is None:
        raise NotFoundError(f"task command {command_id} does not exist")
    if not row.done:
        row.done, row.done_time = True, now_ms()
        session.flush()
    return row


def count_pending(session: Session) -> int:
    stmt = select(func.count(TaskCommandRow.id)).where(TaskCommandRow.done.is_(False))
    return int(session.scalar(stmt) or 0)
