"""The executor outbox: commands written with the scheduler's transaction, then executed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import TaskCommandRow
from ai_flow.metadata._util import enum_value, page
from ai_flow.metadata.errors import NotFoundError
from ai_flow.metadata.task_executions import get_task_execution
from ai_flow.model.action import TaskAction
from notification_service.util.clock import now_ms


def add_command(
    session: Session, task_execution_id: int, action: TaskAction | str
) -> TaskCommandRow:
    get_task_execution(session, task_execution_id)
    row = TaskCommandRow(
        task_execution_id=task_execution_id,
        action=enum_value(TaskAction, action),
        create_time=now_ms(),
        done=False,
    )
    session.add(row)
    session.flush()
    return row


def pending(session: Session, limit: int | None = None) -> list[TaskCommandRow]:
    """Commands not yet done, oldest first."""
    stmt = select(TaskCommandRow).where(TaskCommandRow.done.is_(False)).order_by(TaskCommandRow.id)
    return list(session.scalars(page(stmt, limit, 0)))


def mark_done(session: Session, command_id: int) -> TaskCommandRow:
    """Mark a command executed; marking it again keeps the first done_time."""
    row = session.get(TaskCommandRow, command_id)
    if row is None:
        raise NotFoundError(f"task command {command_id} does not exist")
    if not row.done:
        row.done, row.done_time = True, now_ms()
        session.flush()
    return row
