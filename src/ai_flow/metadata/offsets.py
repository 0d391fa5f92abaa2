"""The scheduler's committed event offset and its keys version (one row, made by the
first migration)."""

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


def lock_offset(session: Session) -> tuple[int, int]:
    """(offset, keys version), the row locked until the transaction ends."""
    stmt = (
        select(SchedulerOffsetRow.offset, SchedulerOffsetRow.keys_version)
        .where(SchedulerOffsetRow.id == _ROW_ID)
        .with_for_update()
    )
    offset, version = session.execute(stmt).one()
    return int(offset), int(version)


def get_keys_version(session: Session) -> int:
    stmt = select(SchedulerOffsetRow.keys_version).where(SchedulerOffsetRow.id == _ROW_ID)
    return int(session.scalar(stmt) or 0)


def bump_keys_version(session: Session) -> None:
    """In the transaction of a change that can make an event key expected."""
    session.execute(
        update(SchedulerOffsetRow)
        .where(SchedulerOffsetRow.id == _ROW_ID)
        .values(keys_version=SchedulerOffsetRow.keys_version + 1)
    )


def set_offset(session: Session, offset: int) -> None:
    """Store the offset in the caller's transaction, with that batch's other writes."""
    if offset < 0:
        raise ValueError(f"event offset must not be negative (got {offset})")
    session.execute(
        update(SchedulerOffsetRow).where(SchedulerOffsetRow.id == _ROW_ID).values(offset=offset)
    )
