"""The connection under a client's send and listen streams broken mid-flight: a proxy
between client and notification server drops every connection at once, three times,
each once the sender has had 100 more events acknowledged.

What must hold: every send either returns the stored event or raises one clear
NotificationError (here none should: the client reopens its stream and resends what
was pending, with the same idempotency ids, well within its retry budget); nothing
acknowledged is lost, nothing is stored twice, offsets stay dense; the listener
resumes from its last delivered offset and receives every event exactly once, in order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faultlib import CuttableProxy, NotificationServerProcess, wait_until

from notification_service.client import (
    Event,
    ListenerProcessor,
    NotificationClient,
    NotificationError,
)
from notification_service.storage import make_engine, upgrade

pytestmark = pytest.mark.timeout(180)


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


class Sender(threading.Thread):
    """Sends numbered events (ids = values) until stopped; keeps what was acknowledged."""

    def __init__(self, client: NotificationClient, name: str) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.prefix = name
        self.acked: list[Event] = []
        self.errors: list[NotificationError] = []
        self.stopping = threading.Event()
        self.cond = threading.Condition()

    def run(self) -> None:
        i = 0
        while not self.stopping.is_set():
            value = f"{self.prefix}-{i}"
            i += 1
            try:
                event = self.client.send_event("k", value, idempotency_id=value)
            except NotificationError as exc:
                with self.cond:
                    self.errors.append(exc)
                continue
            with self.cond:
                self.acked.append(event)
                self.cond.notify_all()

    def wait_acked(self, count: int, timeout: float = 60.0) -> None:
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.acked) >= count, timeout)
        assert ok, f"{self.prefix}: only {len(self.acked)} acked; errors {self.errors[-3:]}"


@pytest.fixture
def server(
    tmp_path: Path, notification_server: Callable[..., NotificationServerProcess]
) -> NotificationServerProcess:
    db_uri = f"sqlite:///{tmp_path}/ns.db"
    engine = make_engine(db_uri)
    upgrade(engine)
    engine.dispose()
    return notification_server(db_uri=db_uri)


@pytest.fixture
def proxy(server: NotificationServerProcess) -> Iterator[CuttableProxy]:
    proxy = CuttableProxy(server.uri)
    yield proxy
    proxy.close()


def test_streams_broken_three_times(
    server: NotificationServerProcess, proxy: CuttableProxy
) -> None:
    listener_client = NotificationClient(proxy.uri, retry_seconds=60)
    collector = Collector()
    listener_client.register_listener(collector, begin_offset=0)
    senders = [
        Sender(NotificationClient(proxy.uri, rpc_timeout=10, retry_seconds=60), f"s{i}")
        for i in range(2)
    ]
    for sender in senders:
        sender.start()
    try:
        for round_ in range(1, 4):
            for sender in senders:
                sender.wait_acked(100 * round_)
            # Progress: the listener is mid-stream too (it has heard something new).
            heard = collector.count()
            wait_until(lambda h=heard: collector.count() > h, "the listener to hear more")
            assert proxy.cut() >= 1
        for sender in senders:
            sender.wait_acked(100 * 4)
    finally:
        for sender in senders:
            sender.stopping.set()
        for sender in senders:
            sender.join(60)
    assert all(not s.is_alive() for s in senders)
    assert [s.errors for s in senders] == [[], []]
    with NotificationClient(server.uri) as direct:
        stored = direct.list_events(limit=1_000_000)
    offsets = [e.offset for e in stored]
    assert offsets == list(range(1, len(stored) + 1))
    values = [e.value for e in stored]
    assert len(values) == len(set(values))  # nothing stored twice
    acked = [e for s in senders for e in s.acked]
    by_offset = {e.offset: e for e in stored}
    assert all(by_offset[e.offset].value == e.value for e in acked)
    assert len(acked) == len(stored)  # and nothing stored that was not acknowledged
    wait_until(lambda: collector.count() >= len(stored), "the listener to catch up")
    with collector.lock:
        assert [e.offset for e in collector.events] == offsets  # once each, in order
    for sender in senders:
        sender.client.close()
    listener_client.close()
