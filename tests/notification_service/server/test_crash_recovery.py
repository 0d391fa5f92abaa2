"""A server process SIGKILLed mid-stream: acknowledged events survive, retries do not duplicate."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import grpc
import pytest

from notification_service.client import NotificationClient
from notification_service.model import Event
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc

pytestmark = pytest.mark.timeout(120)


class Sender(threading.Thread):
    """Sends numbered events until stopped; keeps what the server acknowledged."""

    def __init__(self, client: NotificationClient) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.acked: list[Event] = []
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        i = 0
        try:
            while not self.stopping.is_set():
                self.acked.append(self.client.send_event("crash", str(i)))
                i += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def wait_acked(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < count and self.error is None:
            assert time.monotonic() < deadline, f"only {len(self.acked)} acked"
            time.sleep(0.01)


def _assert_log_matches(client: NotificationClient, acked: list[Event]) -> None:
    """The stored log is exactly the acknowledged events: dense, ordered, no duplicates."""
    stored = client.list_events(limit=1_000_000)
    assert [e.offset for e in stored] == list(range(1, len(stored) + 1))
    assert [(e.offset, e.value) for e in stored] == [(e.offset, e.value) for e in acked]
    assert client.get_latest_offset() == len(acked)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_sigkill_mid_stream_then_restart(
    backend: str,
    request: pytest.FixtureRequest,
    server_process: Callable[..., object],
    make_schema: Callable[[str], None],
) -> None:
    db_uri = request.getfixturevalue(f"{backend}_uri")
    make_schema(db_uri)
    server = server_process(db_uri=db_uri)
    with NotificationClient(server.uri, retry_seconds=30) as client:
        sender = Sender(client)
        sender.start()
        sender.wait_acked(200)
        server.kill()  # the sender is in the middle of a send
        killed_at = len(sender.acked)
        time.sleep(0.3)
        server.start()
        sender.wait_acked(killed_at + 200)
        sender.stopping.set()
        sender.join(30)
        assert sender.error is None, sender.error
        # Retries during the outage went to the restarted server, once each.
        _assert_log_matches(client, sender.acked)


def test_resend_with_same_idempotency_id_after_restart(
    server_process: Callable[..., object],
    sqlite_uri: str,
    make_schema: Callable[[str], None],
) -> None:
    make_schema(sqlite_uri)
    server = server_process(db_uri=sqlite_uri)
    request = pb.SendEventRequest(key="k", value="once", idempotency_id="retry-me")
    with grpc.insecure_channel(server.uri) as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        stub.SendEvents(pb.SendEventsRequest(events=[pb.SendEventRequest(key="pad")] * 3))
        original = stub.SendEvent(request, timeout=5).event
    assert original.offset == 4
    server.kill()
    server.start()
    with grpc.insecure_channel(server.uri) as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        again = stub.SendEvent(request, timeout=5).event
        assert again == original
        assert stub.GetLatestOffset(pb.LatestOffsetRequest(), timeout=5).offset == 4
        fresh = stub.SendEvent(pb.SendEventRequest(key="k"), timeout=5).event
        assert fresh.offset == 5


def test_graceful_stop_keeps_everything(
    server_process: Callable[..., object],
    sqlite_uri: str,
    make_schema: Callable[[str], None],
) -> None:
    make_schema(sqlite_uri)
    server = server_process(db_uri=sqlite_uri)
    with NotificationClient(server.uri) as client:
        acked = client.send_events([("k", str(i)) for i in range(100)])
    server.terminate()
    assert server.proc.returncode == 0, server.log_tail()
    server.start()
    with NotificationClient(server.uri) as client:
        _assert_log_matches(client, acked)


def test_client_skips_a_dead_first_server(
    server_process: Callable[..., object],
    sqlite_uri: str,
    make_schema: Callable[[str], None],
) -> None:
    make_schema(sqlite_uri)
    first = server_process(db_uri=sqlite_uri)
    second = server_process(db_uri=sqlite_uri)  # same database, no HA
    first.kill()
    with NotificationClient(f"{first.uri},{second.uri}", retry_seconds=10) as client:
        acked = [client.send_event("k", str(i)) for i in range(20)]
        acked += client.send_events([("k", "batch")] * 5)
        _assert_log_matches(client, acked)
