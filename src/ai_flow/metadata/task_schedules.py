"""Periodic tasks: when each periodic task of a running workflow execution fires next."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import TaskScheduleRow, WorkflowExecutionRow
from ai_flow.metadata._util import page
from ai_flow.metadata.schedules import next_fire_after
from ai_flow.model.status import WorkflowStatus
from notification_service.util.clock import now_ms


def create_task_schedules(
    session: Session, execution_id: int, periodic: Mapping[str, str]
) -> list[TaskScheduleRow]:
    """One row per periodic task (name -> expression); first fires after now."""
    now = now_ms()
    rows = [
        TaskScheduleRow(
            workflow_execution_id=execution_id,
            task_name=name,
            expression=expression,
            next_fire_time=next_fire_after(expression, now),
        )
        for name, expression in periodic.items()
    ]
    session.add_all(rows)
    session.flush()
    return rows


def list_due_task_schedules(
    session: Session, now: int, limit: int | None = None
) -> list[TaskScheduleRow]:
    """Rows due at `now` whose execution is still RUNNING (others never fire again)."""
    stmt = (
        select(TaskScheduleRow)
        .join(
            WorkflowExecutionRow,
            WorkflowExecutionRow.id == TaskScheduleRow.workflow_execution_id,
        )
        .where(
            WorkflowExecutionRow.status == WorkflowStatus.RUNNING.value,
            TaskScheduleRow.next_fire_time <= now,
        )
        .order_by(TaskScheduleRow.next_fire_time, TaskScheduleRow.id)
    )
    return list(session.scalars(page(stmt, limit, 0)))


def next_task_fire_time(session: Session) -> int | None:
    """The earliest next fire among running executions' periodic tasks."""
    stmt = (
        select(TaskScheduleRow.next_fire_time)
        .join(
            WorkflowExecutionRow,
            WorkflowExecutionRow.id == TaskScheduleRow.workflow_execution_id,
        )
        .where(WorkflowExecutionRow.status == WorkflowStatus.RUNNING.value)
        .order_by(TaskScheduleRow.next_fire_time)
        .limit(1)
    )
    return session.scalar(stmt)


def record_task_fire(
    session: Session, row: TaskScheduleRow, fire_time: int, next_fire_time: int
) -> None:
    row.last_fire_time, row.next_fire_time = fire_time, next_fire_time
    session.flush()
