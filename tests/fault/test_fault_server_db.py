"""A notification server process on PostgreSQL or MariaDB whose database sessions are
killed under it (`pg_terminate_backend`, `KILL`).

What must hold: every send that was acknowledged is stored once; a commit that fails
tells every request waiting on it (each gets UNAVAILABLE with the reason, promptly);
the clients' resends (same idempotency ids) store each event once; offsets stay dense;
a listener receives every event exactly once, in order; the server keeps serving.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from faultlib import (
    COUNTER_LOCK,
    CounterBlocker,
    DatabaseKiller,
    NotificationServerProcess,
    wait_until,
)

from notification_service.client import (
    Event,
    ListenerProcessor,
    NotificationClient,
    NotificationError,
)
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.storage import make_engine, upgrade

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(params=["postgres", "mysql"])
def server_db(request: pytest.FixtureRequest) -> str:
    uri = request.getfixturevalue(f"{request.param}_uri")
    engine = make_engine(uri)
    upgrade(engine)
    engine.dispose()
    return uri


@pytest.fixture
def server(
    server_db: str, notification_server: Callable[..., NotificationServerProcess]
) -> NotificationServerProcess:
    return notification_server(db_uri=server_db)


class Collector(ListenerProcessor):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()

    def process(self, events: list[Event]) -> None:
        with self.lock:
            self.events.extend(events)

    def count(self) -> int:
        with self.lock:
            return len(self.events)


def test_sessions_killed_under_concurrent_senders(
    server_db: str,
    server: NotificationServerProcess,
    killer_for: Callable[[str], DatabaseKiller],
    tmp_path: Path,
) -> None:
    """Four threads send nonstop; five times, once 50 more are acknowledged, every
    database session of the server is killed (its writer, its readers, the listener's
    poll). No send fails (retries stay inside the client's budget), the log is exactly the
    acknowledged events, once each, dense; the listener hears all of them once, in order."""
    killer = killer_for(server_db)
    listener_client = NotificationClient(server.uri, retry_seconds=60)
    collector = Collector()
    listener_client.register_listener(collector, begin_offset=0)
    acked: list[Event] = []
    errors: list[BaseException] = []
    cond = threading.Condition()
    stopping = threading.Event()

    def send(name: str) -> None:
        with NotificationClient(server.uri, retry_seconds=60) as client:
            i = 0
            while not stopping.is_set():
                value = f"{name}-{i}"
                i += 1
                try:
                    event = client.send_event("k", value, idempotency_id=value)
                except NotificationError as exc:
                    with cond:
                        errors.append(exc)
                    continue
                with cond:
                    acked.append(event)
                    cond.notify_all()

    def wait_acked(count: int) -> None:
        with cond:
            assert cond.wait_for(lambda: len(acked) >= count, 60), (len(acked), errors[-3:])

    threads = [threading.Thread(target=send, args=(f"t{i}",), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    try:
        for round_ in range(1, 6):
            wait_acked(50 * round_)
            wait_until(killer.kill_all, "a session of the server to kill")
        wait_acked(50 * 6)
    finally:
        stopping.set()
        for t in threads:
            t.join(60)
    assert errors == []
    with NotificationClient(server.uri) as client:
        stored = client.list_events(limit=1_000_000)
    assert [e.offset for e in stored] == list(range(1, len(stored) + 1))
    assert sorted(e.offset for e in acked) == [e.offset for e in stored]  # type: ignore[misc]
    by_offset = {e.offset: e.value for e in stored}
    assert all(by_offset[e.offset] == e.value for e in acked)
    wait_until(lambda: collector.count() >= len(stored), "the listener to catch up")
    with collector.lock:
        assert [e.offset for e in collector.events] == [e.offset for e in stored]
    listener_client.close()


def test_every_request_waiting_on_a_failed_commit_is_told(
    server_db: str,
    server: NotificationServerProcess,
    killer_for: Callable[[str], DatabaseKiller],
) -> None:
    """Eight unary SendEvent calls (no client retries) queue behind a writer held at the
    offset counter's lock; the writer's session is killed each time it waits there (its
    own retry included) until every call has returned. Every call gets UNAVAILABLE
    naming the database error, none hangs, nothing is stored; after the lock is released
    the same requests store each event once, at offsets 1-8, and a second resend of
    them stores nothing new."""
    killer = killer_for(server_db)
    statement = COUNTER_LOCK[killer.backend]
    requests = [
        pb.SendEventRequest(key="k", value=f"v{i}", idempotency_id=f"id{i}") for i in range(8)
    ]
    blocker = CounterBlocker(server_db)
    codes: list[tuple[grpc.StatusCode, str]] = []
    try:
        with grpc.insecure_channel(server.uri) as channel, ThreadPoolExecutor(8) as pool:
            stub = pb_grpc.NotificationServiceStub(channel)

            def call(request: pb.SendEventRequest) -> tuple[grpc.StatusCode, str]:
                try:
                    stub.SendEvent(request, timeout=60)
                except grpc.RpcError as exc:
                    return exc.code(), exc.details() or ""
                return grpc.StatusCode.OK, ""

            calls = [pool.submit(call, r) for r in requests]
            while not all(c.done() for c in calls):
                waiters = wait_until(
                    lambda: killer.lock_waiters(statement) or all(c.done() for c in calls),
                    "the server's writer to wait on the offset counter, or every call to end",
                )
                if isinstance(waiters, list):
                    for session in waiters:
                        killer.kill(session)
            codes = [c.result(timeout=5) for c in calls]
    finally:
        blocker.release()
    assert [code for code, _ in codes] == [grpc.StatusCode.UNAVAILABLE] * 8, codes
    assert all("could not store the event" in detail for _, detail in codes), codes
    with NotificationClient(server.uri) as client:
        assert client.get_latest_offset() == 0
        assert client.list_events() == []
        with grpc.insecure_channel(server.uri) as channel:
            stub = pb_grpc.NotificationServiceStub(channel)
            first = [stub.SendEvent(r, timeout=30).event for r in requests]
            again = [stub.SendEvent(r, timeout=30).event for r in requests]
        assert sorted(e.offset for e in first) == list(range(1, 9))
        assert again == first
        assert [e.value for e in client.list_events()] == [f"v{i}" for i in range(8)]
