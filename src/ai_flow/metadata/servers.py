"""The AIFlow servers serving one database: each refreshes its own row, and a launch
hands the task runtime every live server's internal address, so heartbeats and claims
reach another server when the one that launched the try is gone."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ai_flow.metadata._tables import ServerRow
from ai_flow.metadata.lease import database_now_ms


def refresh(
    session: Session, owner: str, internal_address: str, rpc_address: str, forget_ms: int
) -> None:
    """Insert or refresh this server's row (seen = the database's now), and drop the rows
    of servers not seen for `forget_ms`."""
    now = database_now_ms(session)
    session.execute(delete(ServerRow).where(ServerRow.seen < now - forget_ms))
    updated = session.execute(
        update(ServerRow)
        .where(ServerRow.owner == owner)
        .values(internal_address=internal_address, rpc_address=rpc_address, seen=now)
    ).rowcount  # type: ignore[attr-defined]
    if not updated:
        session.add(
            ServerRow(
                owner=owner,
                internal_address=internal_address,
                rpc_address=rpc_address,
                started=now,
                seen=now,
            )
        )
    session.flush()


def live(session: Session, max_age_ms: int) -> list[ServerRow]:
    """Servers seen within `max_age_ms`, longest running first."""
    now = database_now_ms(session)
    rows = session.scalars(
        select(ServerRow).where(ServerRow.seen >= now - max_age_ms).order_by(ServerRow.started)
    )
    return list(rows)


def remove(session: Session, owner: str) -> None:
    session.execute(delete(ServerRow).where(ServerRow.owner == owner))
    session.flush()
