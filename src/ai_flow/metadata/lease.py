"""The scheduling lease: which AIFlow server schedules (scheduler, command relay,
timers, reaper) when several serve one database.

It lives on the scheduler's offset row, which every scheduling transaction already locks;
the epoch grows by one with every change of owner and is the fencing token: a
transaction whose server no longer holds the epoch it was elected with fails with
LeaseLostError before it writes anything. Expiry is counted in the database's clock, so
the servers' clocks do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, literal_column, select, update
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import SchedulerOffsetRow

_ROW_ID = 1


class LeaseLostError(Exception):
    """This server's scheduling epoch is over: another server schedules now."""


@dataclass(frozen=True)
class LeaseHolder:
    owner: str | None
    epoch: int
    expires: int  # database ms
    now: int  # database ms when read

    @property
    def live(self) -> bool:
        return self.owner is not None and self.expires > self.now


def database_now_ms(session: Session) -> int:
    """Milliseconds since the epoch by the database's clock."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        expr = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
    elif dialect in ("mysql", "mariadb"):
        expr = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
    else:
        expr = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
    return int(session.execute(select(literal_column(expr))).scalar_one())


def holder(session: Session) -> LeaseHolder:
    row = session.execute(
        select(
            SchedulerOffsetRow.lease_owner,
            SchedulerOffsetRow.lease_epoch,
            SchedulerOffsetRow.lease_expires,
        ).where(SchedulerOffsetRow.id == _ROW_ID)
    ).one()
    return LeaseHolder(row[0], int(row[1]), int(row[2]), database_now_ms(session))


def acquire_or_renew(session: Session, owner: str, ttl_ms: int) -> int | None:
    """Take the lease if it is free or expired, or renew it if `owner` holds it; returns
    the epoch held, None if another server holds a live lease."""
    now = database_now_ms(session)
    table = SchedulerOffsetRow
    result = session.execute(
        update(table)
        .where(
            table.id == _ROW_ID,
            (table.lease_owner == owner)
            | table.lease_owner.is_(None)
            | (table.lease_expires < now),
        )
        .values(
            lease_epoch=case(
                (table.lease_owner == owner, table.lease_epoch), else_=table.lease_epoch + 1
            ),
            lease_owner=owner,
            lease_expires=now + ttl_ms,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    epoch = session.scalar(select(table.lease_epoch).where(table.id == _ROW_ID))
    return int(epoch or 0)


def release(session: Session, owner: str) -> None:
    """Give the lease up at once (a clean stop): a standby takes over without waiting."""
    session.execute(
        update(SchedulerOffsetRow)
        .where(SchedulerOffsetRow.id == _ROW_ID, SchedulerOffsetRow.lease_owner == owner)
        .values(lease_expires=0)
        .execution_options(synchronize_session=False)
    )


def fence(session: Session, epoch: int) -> None:
    """Lock the lease row and check the epoch; raises LeaseLostError if it moved on."""
    current = session.scalar(
        select(SchedulerOffsetRow.lease_epoch)
        .where(SchedulerOffsetRow.id == _ROW_ID)
        .with_for_update()
    )
    if int(current or 0) != epoch:
        raise LeaseLostError(f"scheduling epoch {epoch} is over (now {current})")


def take_over(session: Session, stale_owner: str | None, owner: str, ttl_ms: int) -> int | None:
    """Take the lease from `stale_owner`, known dead, before it lapses."""
    if stale_owner is None:
        return None
    now = database_now_ms(session)
    table = SchedulerOffsetRow
    result = session.execute(
        update(table)
        .where(table.id == _ROW_ID, table.lease_owner == stale_owner)
        .values(lease_owner=owner, lease_epoch=table.lease_epoch + 1, lease_expires=now + ttl_ms)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return int(session.scalar(select(table.lease_epoch).where(table.id == _ROW_ID)) or 0)
