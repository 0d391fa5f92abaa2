"""AIFlow's metadata sessions (`ai_flow.metadata.write_session`) with their database
connection killed, on real PostgreSQL (`pg_terminate_backend`) and MariaDB (`KILL`).

What must hold: a transaction whose connection dies is rolled back entirely (none of
its writes, not even the flushed ones, is visible afterwards), the error reaches the
caller promptly as a database error, and the next session works on a new connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from faultlib import DatabaseKiller, wait_until
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ai_flow import metadata

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(params=["postgres", "mysql"])
def meta_db(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_uri")


@pytest.fixture
def engine(meta_db: str) -> Iterator[Engine]:
    engine = metadata.make_engine(meta_db)
    metadata.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return metadata.session_factory(engine)


def _session_id(session: Session) -> int:
    backend = session.get_bind().dialect.name
    query = "SELECT pg_backend_pid()" if backend == "postgresql" else "SELECT CONNECTION_ID()"
    return int(session.execute(text(query)).scalar_one())


def _state(factory: sessionmaker[Session]) -> tuple[list[str], int, list[str]]:
    with metadata.read_session(factory) as s:
        namespaces = [n.name for n in metadata.namespaces.list_namespaces(s)]
        workflows = sorted(s.scalars(select(metadata.WorkflowRow.name)))
        return namespaces, metadata.offsets.get_offset(s), workflows


def _scheduling_writes(session: Session, offset: int) -> None:
    """What a scheduling transaction does: lock the offset row, write rows, move it."""
    metadata.offsets.lock_offset(session)
    metadata.namespaces.create_namespace(session, f"ns{offset}")
    metadata.workflows.create_workflow(session, f"ns{offset}", f"wf{offset}")
    metadata.offsets.set_offset(session, offset)
    session.flush()


def test_connection_killed_mid_transaction_rolls_it_back(
    meta_db: str, factory: sessionmaker[Session], killer_for: Callable[[str], DatabaseKiller]
) -> None:
    """Killed after the transaction flushed a namespace, a workflow and a new offset, before
    its next statement: that statement raises a DBAPIError, the session rolls back, and
    none of the writes exists; the next write session commits normally."""
    killer = killer_for(meta_db)
    before = _state(factory)
    with pytest.raises(DBAPIError), metadata.write_session(factory) as session:
        _scheduling_writes(session, 7)
        killer.kill(_session_id(session))
        metadata.workflows.create_workflow(session, "ns7", "second")
    assert _state(factory) == before
    with metadata.write_session(factory) as session:
        _scheduling_writes(session, 8)
    namespaces, offset, workflows = _state(factory)
    assert "ns7" not in namespaces and "ns8" in namespaces
    assert offset == 8 and workflows == ["wf8"]


def test_connection_killed_before_commit(
    meta_db: str, factory: sessionmaker[Session], killer_for: Callable[[str], DatabaseKiller]
) -> None:
    """Killed after the last write, so the COMMIT itself fails: the caller gets the error
    and nothing of the transaction was committed."""
    killer = killer_for(meta_db)
    before = _state(factory)
    with pytest.raises(DBAPIError), metadata.write_session(factory) as session:
        _scheduling_writes(session, 5)
        killer.kill(_session_id(session))
    assert _state(factory) == before
    with metadata.write_session(factory) as session:
        _scheduling_writes(session, 6)
    assert _state(factory)[1] == 6


def test_connection_killed_while_waiting_for_a_lock(
    meta_db: str, factory: sessionmaker[Session], killer_for: Callable[[str], DatabaseKiller]
) -> None:
    """A second scheduler waits for the offset row that the first one holds; its connection
    is killed while it waits. It gets the error at once (not after the holder finishes),
    writes nothing; the holder commits undisturbed, and a retry after it works."""
    killer = killer_for(meta_db)

    def waiter() -> None:
        with metadata.write_session(factory) as session:
            _scheduling_writes(session, 2)

    with metadata.write_session(factory) as holder:
        _scheduling_writes(holder, 1)
        holder_id = _session_id(holder)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(waiter)
            (blocked,) = wait_until(
                lambda: [s for s in _lock_waiters(killer) if s != holder_id],
                "the second session to wait on the offset row",
            )
            killer.kill(blocked)
            with pytest.raises(DBAPIError):
                waiting.result(timeout=30)
    assert _state(factory)[1:] == (1, ["wf1"])
    waiter()
    assert _state(factory)[1:] == (2, ["wf1", "wf2"])


def _lock_waiters(killer: DatabaseKiller) -> list[int]:
    """Sessions blocked on a row lock of the offset table (any statement)."""
    if killer.backend == "postgresql":
        sql = "SELECT pid FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"
    else:
        sql = (
            "SELECT id FROM information_schema.processlist WHERE db = :db "
            "AND command = 'Query' AND info LIKE 'SELECT%FOR UPDATE%'"
        )
    with killer._engine.connect() as conn:  # noqa: SLF001 - the killer's admin connection
        return [row[0] for row in conn.execute(text(sql), {"db": killer.database})]


def test_idle_pooled_connections_killed_between_sessions(
    meta_db: str, factory: sessionmaker[Session], killer_for: Callable[[str], DatabaseKiller]
) -> None:
    """Every pooled connection killed while idle (a database restart): the next read and
    write sessions work (the pool pings on checkout and replaces dead connections)."""
    killer = killer_for(meta_db)
    with metadata.write_session(factory) as session:
        _scheduling_writes(session, 3)
    _state(factory)
    assert killer.kill_all() >= 1
    wait_until(lambda: not killer.sessions(), "the killed sessions to end")
    assert _state(factory)[1] == 3
    with metadata.write_session(factory) as session:
        _scheduling_writes(session, 4)
    assert _state(factory)[1:] == (4, ["wf3", "wf4"])
