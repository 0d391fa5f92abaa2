"""Workflow schedules: cron/interval expressions that start executions periodically.

Fire times are epoch ms; cron expressions are read in UTC. The timer loop
(`ai_flow.scheduler._timers`) fires due schedules; see its docstring for the policy.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import WorkflowScheduleRow
from ai_flow.metadata._util import page, rowcount
from ai_flow.metadata.errors import NotFoundError
from ai_flow.metadata.workflows import get_workflow_by_id
from ai_flow.model.periodic_expression import parse_periodic_expression
from notification_service.util.clock import now_ms


def next_fire_after(expression: str, after_ms: int) -> int:
    """First fire time (ms) of `expression` strictly after `after_ms`.

    `interval@...` is `after + interval`; `cron@...` the next matching time (UTC).
    Raises WorkflowDefinitionError (with the expected format) for a malformed expression.
    """
    parsed = parse_periodic_expression(expression)
    after = datetime.fromtimestamp(after_ms / 1000, tz=timezone.utc)
    return int(parsed.next_time(after).timestamp() * 1000)


def next_fire_from(expression: str, fire_time: int, now: int) -> int:
    """The fire after `fire_time`; if that is already past (downtime), the next after `now`.

    So missed fires collapse into the one being fired, and intervals do not drift.
    """
    following = next_fire_after(expression, fire_time)
    return following if following > now else next_fire_after(expression, now)


def create_schedule(
    session: Session,
    workflow_id: int,
    expression: str,
    *,
    is_paused: bool = False,
    next_fire_time: int | None = None,
) -> WorkflowScheduleRow:
    """A schedule whose first fire is the expression's first time after now (validated:
    a malformed expression raises WorkflowDefinitionError and nothing is stored)."""
    get_workflow_by_id(session, workflow_id)
    now = now_ms()
    if next_fire_time is None:
        next_fire_time = next_fire_after(expression, now)
    else:
        parse_periodic_expression(expression)
    row = WorkflowScheduleRow(
        workflow_id=workflow_id,
        expression=expression,
        is_paused=is_paused,
        create_time=now,
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


def next_schedule_fire_time(session: Session) -> int | None:
    """The earliest next fire among unpaused schedules (for the timer loop's sleep)."""
    stmt = (
        select(WorkflowScheduleRow.next_fire_time)
        .where(
            WorkflowScheduleRow.is_paused.is_(False),
            WorkflowScheduleRow.next_fire_time.is_not(None),
        )
        .order_by(WorkflowScheduleRow.next_fire_time)
        .limit(1)
    )
    return session.scalar(stmt)


def set_schedule_paused(session: Session, schedule_id: int, paused: bool) -> WorkflowScheduleRow:
    """Pause, or resume: a resumed schedule continues from now (no catch-up of the pause)."""
    row = get_schedule(session, schedule_id)
    if row.is_paused and not paused:
        row.next_fire_time = next_fire_after(row.expression, now_ms())
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
    return rowcount(result)
