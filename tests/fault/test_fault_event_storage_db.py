"""The event log's database connection killed under SqlEventStorage, on real PostgreSQL
(`pg_terminate_backend`) and MariaDB (`KILL <connection id>`).

What must hold in every test: an append that returned is stored exactly once, at the
offset it returned; an append that failed raised an error promptly (no hang) and left
no partial batch and no gap in the offsets; the next append works (the storage drops
the dead connection and takes a new one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from faultlib import Blocker, DatabaseKiller, wait_until

from notification_service.model import Event, EventFilter
from notification_service.storage import NewEvent, SqlEventStorage, make_engine, upgrade

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(params=["postgres", "mysql"])
def server_db(request: pytest.FixtureRequest) -> str:
    uri = request.getfixturevalue(f"{request.param}_uri")
    engine = make_engine(uri)
    upgrade(engine)
    engine.dispose()
    return uri


@pytest.fixture
def storage(server_db: str) -> Iterator[SqlEventStorage]:
    store = SqlEventStorage(server_db)
    yield store
    store.close()


def _log(store: SqlEventStorage) -> list[Event]:
    return store.list_events(EventFilter(), 1_000_000)


def test_connection_killed_mid_transaction(
    server_db: str,
    storage: SqlEventStorage,
    killer_for: Callable[[str], DatabaseKiller],
) -> None:
    """Killed after it locked the offset counter and inserted the first row of a batch of
    three (it waits on a lock for the second): the database rolls that transaction back,
    so the storage appends again on a new connection, once; the append returns the batch
    stored once at the next dense offsets, nothing of the killed attempt remains."""
    killer = killer_for(server_db)
    before = storage.add_events([NewEvent("before", str(i)) for i in range(3)])
    batch = [NewEvent("b", "1"), NewEvent("b", "2", idempotency_id="held"), NewEvent("b", "3")]
    blocker = Blocker(server_db, holds="held")
    try:
        with ThreadPoolExecutor(1) as pool:
            append = pool.submit(storage.add_events, batch)
            # Progress: the writer is inside its transaction, blocked on the held id.
            (first,) = wait_until(killer.lock_waiters, "the append to wait on the held id")
            killer.kill(first)
            # The second attempt, on a new session, waits on the same id.
            (second,) = wait_until(
                lambda: [s for s in killer.lock_waiters() if s != first], "the second attempt"
            )
            blocker.release()
            stored = append.result(timeout=60)
    finally:
        blocker.release()
    assert [e.offset for e in stored] == [4, 5, 6]
    assert [e.value for e in stored] == ["1", "2", "3"]
    assert _log(storage) == before + stored
    assert storage.latest_offset() == 6


def test_connection_killed_mid_transaction_twice(
    server_db: str,
    storage: SqlEventStorage,
    killer_for: Callable[[str], DatabaseKiller],
) -> None:
    """Killed mid-transaction, and its one retry killed too: the append raises a
    connection error within seconds (no hang, no third attempt); nothing of the batch is
    stored and the counter is where it was; the next append gets the next dense offsets."""
    killer = killer_for(server_db)
    before = storage.add_events([NewEvent("before", str(i)) for i in range(3)])
    batch = [NewEvent("b", "1"), NewEvent("b", "2", idempotency_id="held"), NewEvent("b", "3")]
    blocker = Blocker(server_db, holds="held")
    try:
        with ThreadPoolExecutor(1) as pool:
            append = pool.submit(storage.add_events, batch)
            killed: list[int] = []
            for attempt in ("first", "second"):
                (waiter,) = wait_until(
                    lambda: [s for s in killer.lock_waiters() if s not in killed],
                    f"the {attempt} attempt to wait on the held id",
                )
                killer.kill(waiter)
                killed.append(waiter)
            with pytest.raises(Exception) as info:
                append.result(timeout=30)
    finally:
        blocker.release()
    message = str(info.value).lower()
    words = ("terminat", "lost", "gone away", "closed", "killed")
    assert any(w in message for w in words), message
    assert storage.latest_offset() == 3
    assert _log(storage) == before
    again = storage.add_events(batch)
    assert [e.offset for e in again] == [4, 5, 6]
    assert _log(storage) == before + again


def test_idle_connection_killed_between_appends(
    server_db: str,
    storage: SqlEventStorage,
    killer_for: Callable[[str], DatabaseKiller],
) -> None:
    """Every session of the storage killed while idle (as a database restart or an idle
    timeout would): the next append works (the dead pinned connection is replaced before
    anything was committed on it), reads work, no offset is skipped."""
    killer = killer_for(server_db)
    acked = storage.add_events([NewEvent("k", "1")])
    storage.list_events(EventFilter(), 10)  # a pooled read connection too
    assert killer.kill_all() >= 1
    wait_until(lambda: not killer.sessions(), "the killed sessions to end")
    acked += storage.add_events([NewEvent("k", "2")])
    acked += storage.add_events([NewEvent("k", "3")])
    assert _log(storage) == acked
    assert [e.offset for e in acked] == [1, 2, 3]
    assert storage.latest_offset() == 3


class Appender(threading.Thread):
    """Appends numbered events (each with an idempotency id, 1 to 3 per batch) as fast as
    it can; records what each append returned or raised."""

    def __init__(self, store: SqlEventStorage) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.acked: list[Event] = []
        self.attempts: list[tuple[list[NewEvent], list[Event] | BaseException]] = []
        self.stopping = threading.Event()
        self.progress = threading.Condition()

    def run(self) -> None:
        i = 0
        while not self.stopping.is_set():
            batch = [
                NewEvent("burst", f"e{i + j}", idempotency_id=f"e{i + j}") for j in range(i % 3 + 1)
            ]
            i += len(batch)
            try:
                result: list[Event] | BaseException = self.store.add_events(batch)
            except Exception as exc:  # noqa: BLE001 - recorded, then the next batch
                result = exc
            with self.progress:
                self.attempts.append((batch, result))
                if not isinstance(result, BaseException):
                    self.acked += result
                self.progress.notify_all()

    def wait_acked(self, count: int, timeout: float = 60.0) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: len(self.acked) >= count, timeout), (
                f"only {len(self.acked)} acked, last attempts: {self.attempts[-3:]}"
            )


def test_burst_of_appends_with_connections_killed(
    server_db: str,
    storage: SqlEventStorage,
    killer_for: Callable[[str], DatabaseKiller],
) -> None:
    """Five times, once 40 more events are acknowledged, every session of the database is
    killed while a thread appends nonstop (the kill lands wherever the append is: between
    transactions, mid-transaction, at commit). Must hold: every acknowledged event is
    stored once at its offset; each kill fails at most one append and the next works; a
    failed append stored all of its batch or none of it (all only if the kill came after
    the commit reached the server); resending the failed batches with their ids stores
    each missing event once; the log is dense. (A kill before COMMIT is retried inside
    the storage, so only a kill that hits the COMMIT itself fails an append.)"""
    killer = killer_for(server_db)
    appender = Appender(storage)
    appender.start()
    kills = 5
    try:
        for round_ in range(1, kills + 1):
            appender.wait_acked(40 * round_)
            # The appender holds a session (it just committed on one): kill it, and any other.
            wait_until(killer.kill_all, "a session of the appender to kill")
        appender.wait_acked(40 * (kills + 1))
    finally:
        appender.stopping.set()
        appender.join(60)
    assert not appender.is_alive()

    failures = [i for i, (_, r) in enumerate(appender.attempts) if isinstance(r, BaseException)]
    assert len(failures) <= kills
    assert all(later not in failures for later in (i + 1 for i in failures))
    assert all(isinstance(appender.attempts[i][1], Exception) for i in failures)

    stored = _log(storage)
    by_value = {e.value: e for e in stored}
    assert len(by_value) == len(stored)  # no event twice
    for event in appender.acked:
        assert by_value[event.value] == event
    for i in failures:
        batch = appender.attempts[i][0]
        present = [n.idempotency_id in by_value for n in batch]
        assert all(present) or not any(present), (batch, present)
    assert [e.offset for e in stored] == list(range(1, len(stored) + 1))

    # The retries a server's client would make, with the same ids.
    for i in failures:
        batch = appender.attempts[i][0]
        resent = storage.add_events(batch)
        for new, event in zip(batch, resent, strict=True):
            assert event.value == new.idempotency_id
            if new.idempotency_id in by_value:
                assert event == by_value[new.idempotency_id]
    final = _log(storage)
    assert [e.offset for e in final] == list(range(1, len(final) + 1))
    sent = sum(len(b) for b, _ in appender.attempts)
    assert sorted(int(e.value[1:]) for e in final) == list(range(sent))  # type: ignore[index]
    assert storage.latest_offset() == sent
