"""The servers' rows (metadata/servers.py): refreshed in the database's clock, live while
seen recently, forgotten long after."""

from __future__ import annotations

import time

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from ai_flow import metadata
from ai_flow.metadata import ServerRow, servers


def _live(factory: sessionmaker[Session], max_age_ms: int = 60_000) -> list[tuple[str, str]]:
    with metadata.read_session(factory) as s:
        return [(r.owner, r.internal_address) for r in servers.live(s, max_age_ms)]


def test_refresh_live_and_remove(factory: sessionmaker[Session]) -> None:
    with metadata.write_session(factory) as s:
        servers.refresh(s, "a", "10.0.0.1:50000", "10.0.0.1:50051", 600_000)
    time.sleep(0.01)  # "b" starts later: a strictly later `started`
    with metadata.write_session(factory) as s:
        servers.refresh(s, "b", "10.0.0.2:50000", "10.0.0.2:50051", 600_000)
        servers.refresh(s, "a", "10.0.0.9:50000", "10.0.0.9:50051", 600_000)  # moved
    assert _live(factory) == [("a", "10.0.0.9:50000"), ("b", "10.0.0.2:50000")]
    with metadata.write_session(factory) as s:
        servers.remove(s, "a")
    assert _live(factory) == [("b", "10.0.0.2:50000")]


def test_a_server_not_seen_lately_is_not_live_and_is_forgotten_later(
    factory: sessionmaker[Session],
) -> None:
    with metadata.write_session(factory) as s:
        servers.refresh(s, "old", "h1:1", "h1:2", 600_000)
        servers.refresh(s, "gone", "h2:1", "h2:2", 600_000)
        now = metadata.lease.database_now_ms(s)
        s.execute(update(ServerRow).where(ServerRow.owner == "old").values(seen=now - 120_000))
        s.execute(update(ServerRow).where(ServerRow.owner == "gone").values(seen=now - 10**9))
    assert _live(factory) == []  # neither seen within a minute
    with metadata.write_session(factory) as s:
        servers.refresh(s, "new", "h3:1", "h3:2", 600_000)
    with metadata.read_session(factory) as s:
        owners = {r.owner for r in servers.live(s, 10**8)}
    assert owners == {"old", "new"}  # "gone" was past the forget age
