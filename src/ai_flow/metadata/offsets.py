"""The scheduler's committed event offset (one row, created by the first migration)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import SchedulerOffsetRow

_ROW_ID = 1


def get_offset(session: Session, for_update: bool = False) -> int:
    """The last event offset whose effects are committed; `for_update` locks the row."""
    stmt = select(SchedulerOffsetRow.offset).where(SchedulerOffsetRow.id == _ROW_ID)
    if for_update:
        stmt = stmt.with_for_update()
    return int(session.scalar(stmt) or 0)


def set_offset(session: Session, offset: int) -> None:
    """Store the offset in the caller's transaction, with that batch's other writes."""
    if offset < 0:
        raise ValueError(f"event offset must not be negative (got {offset})")
    session.execute(
        update(SchedulerOffsetRow).where(SchedulerOffsetRow.id == _ROW_ID).values(offset=offset)
    )
