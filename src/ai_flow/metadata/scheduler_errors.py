"""Events the scheduler skipped because processing them kept failing (poison events)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import SchedulerErrorRow
from ai_flow.metadata._util import page
from notification_service.util.clock import now_ms


def record_error(
    session: Session,
    event_offset: int,
    event_key: str,
    namespace: str | None,
    workflow_execution_id: int | None,
    error: str,
) -> SchedulerErrorRow:
    """Record why the event at `event_offset` was skipped (once per offset)."""
    row = session.scalars(
        select(SchedulerErrorRow).where(SchedulerErrorRow.event_offset == event_offset)
    ).one_or_none()
    if row is None:
        row = SchedulerErrorRow(
            event_offset=event_offset,
            event_key=event_key[:1024],
            namespace=namespace,
            workflow_execution_id=workflow_execution_id,
            error=error,
            create_time=now_ms(),
        )
        session.add(row)
        session.flush()
    return row


def list_errors(
    session: Session, limit: int | None = None, offset: int | None = None
) -> list[SchedulerErrorRow]:
    """Newest first."""
    stmt = select(SchedulerErrorRow).order_by(SchedulerErrorRow.event_offset.desc())
    return list(session.scalars(page(stmt, limit, offset)))


def get_error(session: Session, event_offset: int) -> SchedulerErrorRow | None:
    """Why the event at `event_offset` was skipped, if it was."""
    stmt = select(SchedulerErrorRow).where(SchedulerErrorRow.event_offset == event_offset)
    return session.scalars(stmt).one_or_none()
