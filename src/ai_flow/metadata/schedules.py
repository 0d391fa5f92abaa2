"""Workflow schedules: cron/interval expressions that start executions periodically."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import WorkflowScheduleRow
from ai_flow.metadata._util import page
from ai_flow.metadata.errors import NotFoundError
from ai_flow.metadata.workflows import get_workflow_by_id
from notification_service.util.clock import now_ms


def create_schedule(
    session: Session,
    workflow_id: int,
    expression: str,
    *,
    is_paused: bool = False,
    next_fire_time: int | None = None,
) -> WorkflowScheduleRow:
    get_workflow_by_id(session, workflow_id)
    row = WorkflowScheduleRow(
        workflow_id=workflow_id,
        expression=expression,
        is_paused=is_paused,
        create_time=now_ms(),
        next_fire_time=next_fire_time,
    )
    session.add(row)
    session.flush()
    return row


def get_schedule(session: Session, schedule_id: int) -> WorkflowScheduleRow:
    row = session.get(WorkflowScheduleRow, schedule_id)
    if row is None:
        raise NotFoundError(f"workflow schedule {schedule_id} does not exist")
    return row


def list_schedules(
    session: Session, workflow_id: int, limit: int | None = None, offset: int | None = None
) -> list[WorkflowScheduleRow]:
    stmt = (
        select(WorkflowScheduleRow)
        .where(WorkflowScheduleRow.workflow_id == workflow_id)
        .order_by(WorkflowScheduleRow.id)
    )
    return list(session.scalars(page(stmt, limit, offset)))


def list_due_schedules(
    session: Session, now: int, limit: int | None = None
) -> list[WorkflowScheduleRow]:
    """Unpaused schedules whose next_fire_time (epoch ms) is at or before `now`."""
    stmt = (
        select(WorkflowScheduleRow)
        .where(
            WorkflowScheduleRow.is_paused.is_(False),
            WorkflowScheduleRow.next_fire_time <= now,
        )
        .order_by(WorkflowScheduleRow.next_fire_time, WorkflowScheduleRow.id)
    )
    return list(session.scalars(page(stmt, limit, 0)))


def set_schedule_paused(session: Session, schedule_id: int, paused: bool) -> WorkflowScheduleRow:
    row = get_schedule(session, schedule_id)
    row.is_paused = paused
    session.flush()
    return row


def record_fire(
    session: Session, schedule_id: int, fire_time: int, next_fire_time: int | None
) -> WorkflowScheduleRow:
    """Remember a firing and when the schedule fires next (epoch ms)."""
    row = get_schedule(session, schedule_id)
    row.last_fire_time, row.next_fire_time = fire_time, next_fire_time
    session.flush()
    return row


def delete_schedule(session: Session, schedule_id: int) -> None:
    get_schedule(session, schedule_id)
    session.execute(delete(WorkflowScheduleRow).where(WorkflowScheduleRow.id == schedule_id))


def delete_schedules(session: Session, workflow_id: int) -> int:
    """Delete every schedule of the workflow; the number deleted."""
    get_workflow_by_id(session, workflow_id)
    result = session.execute(
        delete(WorkflowScheduleRow).where(WorkflowScheduleRow.workflow_id == workflow_id)
    )
    return result.rowcount
