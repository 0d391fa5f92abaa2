"""A notification server process frozen with SIGSTOP, then thawed with SIGCONT.

What must hold: a send made while the server is frozen either completes after SIGCONT
or fails within the client's timeout with one clear NotificationError (never hangs);
nothing acknowledged is lost and nothing is stored twice (a send that failed may have
been stored, once, and a resend with its idempotency id returns that copy); a listener
(NotificationClient.register_listener) resumes after SIGCONT and receives every event
exactly once, in offset order.

Progress, not sleeps: the send is known to be in flight when the frozen server's socket
holds unread bytes (its receive queue in /proc/net/tcp); the listener is known to be
caught up when it has delivered the events the test acknowledged.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from faultlib import NotificationServerProcess, wait_until

from notification_service.client import (
    Event,
    ListenerProcessor,
    NotificationClient,
    NotificationError,
)
from notification_service.storage import make_engine, upgrade

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(sys.platform != "linux", reason="reads socket queues in /proc/net/tcp"),
]


class Collector(ListenerProcessor):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()

    def process(self, events: list[Event]) -> None:
        with self.lock:
            self.events.extend(events)

    def offsets(self) -> list[int]:
        with self.lock:
            return [e.offset for e in self.events]  # type: ignore[misc]


def _unread_bytes(port: int) -> int:
    """Bytes waiting in the receive queues of the sockets listening or accepted on `port`
    (a stopped process reads nothing: they pile up there)."""
    total = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port:
                total += int(fields[4].split(":")[1], 16)  # tx_queue:rx_queue
    return total


@pytest.fixture
def server(
    tmp_path: Path, notification_server: Callable[..., NotificationServerProcess]
) -> NotificationServerProcess:
    db_uri = f"sqlite:///{tmp_path}/ns.db"
    engine = make_engine(db_uri)
    upgrade(engine)
    engine.dispose()
    return notification_server(db_uri=db_uri)


def _port(server: NotificationServerProcess) -> int:
    return int(server.uri.rsplit(":", 1)[1])


def _start_listener(server: NotificationServerProcess) -> tuple[NotificationClient, Collector]:
    listener_client = NotificationClient(server.uri)
    collector = Collector()
    listener_client.register_listener(collector, begin_offset=0)
    return listener_client, collector


def _check_log(client: NotificationClient, acked: list[Event], collector: Collector) -> None:
    stored = client.list_events(limit=100_000)
    offsets = [e.offset for e in stored]
    assert offsets == list(range(1, len(stored) + 1))
    by_offset = {e.offset: e for e in stored}
    for event in acked:  # nothing acknowledged is lost, or changed
        assert by_offset[event.offset].value == event.value
    values = [e.value for e in stored]
    assert len(values) == len(set(values))  # nothing stored twice
    wait_until(lambda: len(collector.offsets()) >= len(stored), "the listener to catch up")
    assert collector.offsets() == offsets  # every event once, in order
    assert [e.value for e in collector.events] == values


def _send_in_thread(
    client: NotificationClient, value: str
) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def send() -> None:
        began = time.monotonic()
        try:
            result["event"] = client.send_event("k", value, idempotency_id=value)
        except NotificationError as exc:
            result["error"] = exc
        result["seconds"] = time.monotonic() - began

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, result


def test_send_during_sigstop_completes_after_sigcont(server: NotificationServerProcess) -> None:
    """Frozen while a send is in flight, thawed soon: the send completes (the client's 10 s
    timeout is far away), stored once; the listener hears every event once, in order."""
    listener_client, collector = _start_listener(server)
    with NotificationClient(server.uri) as client:
        acked = [
            client.send_event("k", f"before-{i}", idempotency_id=f"before-{i}") for i in range(20)
        ]
        wait_until(lambda: len(collector.offsets()) >= 20, "the listener to hear 20 events")
        server.sigstop()
        baseline = _unread_bytes(_port(server))  # frozen: the queues can only grow now
        try:
            thread, result = _send_in_thread(client, "during")
            wait_until(
                lambda: _unread_bytes(_port(server)) > baseline,
                "the send to reach the frozen server's socket",
                timeout=30,
            )
        finally:
            server.sigcont()
        thread.join(30)
        assert not thread.is_alive(), "the send hung after SIGCONT"
        assert "error" not in result, result
        during = result["event"]
        assert isinstance(during, Event) and during.offset == 21
        acked.append(during)
        acked += [
            client.send_event("k", f"after-{i}", idempotency_id=f"after-{i}") for i in range(20)
        ]
        _check_log(client, acked, collector)
    listener_client.close()


def test_sigstop_longer_than_the_client_timeout(
    tmp_path: Path, server: NotificationServerProcess
) -> None:
    """Frozen for longer than the sender's whole retry budget (1 s per call, 2 s of
    retries): the send fails with one NotificationError within that budget (plus slack
    for a loaded machine), while the server is still frozen. After SIGCONT the server may
    still store it (its bytes were in the socket): a resend with the same idempotency id
    returns that copy, or stores it then; either way it is stored once. The listener,
    frozen with the server, resumes and hears everything once, in order."""
    listener_client, collector = _start_listener(server)
    with NotificationClient(server.uri, rpc_timeout=1.0, retry_seconds=2.0) as client:
        acked = [
            client.send_event("k", f"before-{i}", idempotency_id=f"before-{i}") for i in range(10)
        ]
        wait_until(lambda: len(collector.offsets()) >= 10, "the listener to hear 10 events")
        server.sigstop()
        try:
            thread, result = _send_in_thread(client, "during")
            thread.join(60)
            assert not thread.is_alive(), "the send hung on a frozen server"
            assert server.stopped and server.proc is not None and server.proc.poll() is None
        finally:
            server.sigcont()
        error = result.get("error")
        assert isinstance(error, NotificationError), result
        assert "\n" not in str(error) and server.uri in str(error), str(error)
        assert float(result["seconds"]) < 1.0 + 2.0 + 15.0  # type: ignore[arg-type]
        # The client works again once the server runs; the resend settles "during".
        with NotificationClient(server.uri) as fresh:
            during = fresh.send_event("k", "during", idempotency_id="during")
            again = fresh.send_event("k", "during", idempotency_id="during")
            assert again == during
            acked.append(during)
            acked += [
                fresh.send_event("k", f"after-{i}", idempotency_id=f"after-{i}") for i in range(10)
            ]
        acked.append(client.send_event("k", "same-client", idempotency_id="same-client"))
        _check_log(client, acked, collector)
    listener_client.close()


def test_listener_resumes_after_a_long_sigstop(server: NotificationServerProcess) -> None:
    """A listener whose server is frozen for longer than a client timeout (the listener
    sees nothing and must not give up), with sends queued against it from another
    process's point of view: after SIGCONT it receives the queued events and the later
    ones, each once, in order."""
    listener_client, collector = _start_listener(server)
    with NotificationClient(server.uri, rpc_timeout=30.0, retry_seconds=60.0) as client:
        acked = [
            client.send_event("k", f"before-{i}", idempotency_id=f"before-{i}") for i in range(5)
        ]
        wait_until(lambda: len(collector.offsets()) >= 5, "the listener to hear 5 events")
        server.sigstop()
        baseline = _unread_bytes(_port(server))  # frozen: the queues can only grow now
        try:
            senders = [_send_in_thread(client, f"queued-{i}") for i in range(5)]
            wait_until(
                lambda: _unread_bytes(_port(server)) > baseline,
                "the queued sends to reach the frozen server",
                timeout=30,
            )
            # Frozen past a 1 s client timeout, measured on a client that times out:
            # its failure is the progress mark that the freeze lasted that long.
            with NotificationClient(server.uri, rpc_timeout=1.0, retry_seconds=0.5) as probe:
                with pytest.raises(NotificationError):
                    probe.get_latest_offset()
        finally:
            server.sigcont()
        for thread, result in senders:
            thread.join(60)
            assert not thread.is_alive()
            assert "error" not in result, result
            acked.append(result["event"])  # type: ignore[arg-type]
        acked += [
            client.send_event("k", f"after-{i}", idempotency_id=f"after-{i}") for i in range(5)
        ]
        _check_log(client, acked, collector)
    listener_client.close()
