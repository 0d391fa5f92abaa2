"""Two HA server processes on one PostgreSQL database."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

import grpc
import pytest

from notification_service.client import Event, NotificationClient
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def ha_pair(
    postgres_uri: str,
    server_process: Callable[..., object],
    make_schema: Callable[[str], None],
    new_port: Callable[[], int],
) -> tuple[object, object]:
    make_schema(postgres_uri)
    servers = []
    for _ in range(2):
        port = new_port()
        servers.append(
            server_process(
                db_uri=postgres_uri,
                server_port=port,
                enable_ha=True,
                advertised_uri=f"127.0.0.1:{port}",
                ha_ttl_ms=2000,
            )
        )
    return servers[0], servers[1]


def _members(uri: str) -> list[str]:
    with grpc.insecure_channel(uri) as channel:
        resp = pb_grpc.NotificationServiceStub(channel).ListMembers(
            pb.ListMembersRequest(), timeout=5
        )
        return sorted(m.server_uri for m in resp.members)


def test_members_listener_latency_and_failover(ha_pair, new_collector) -> None:  # noqa: ANN001
    a, b = ha_pair
    assert _members(a.uri) == sorted([a.uri, b.uri])
    assert _members(b.uri) == sorted([a.uri, b.uri])

    # A listener on B hears events committed by A through A's peer hint, not B's poller.
    listener_client = NotificationClient(b.uri)
    collector = new_collector()
    listener_client.register_listener(collector, begin_offset=0)
    latencies = []
    with NotificationClient(a.uri) as to_a:
        time.sleep(0.3)  # the listen stream is open
        for i in range(40):
            started = time.perf_counter()
            to_a.send_event("ha", str(i))
            collector.wait_for(i + 1, timeout=5)
            latencies.append(time.perf_counter() - started)
            time.sleep(0.003)
    p50 = statistics.median(latencies)
    print(f"HA p50 {p50 * 1000:.2f} ms")
    assert p50 < 0.1, f"p50 send->listener on the peer: {p50 * 1000:.1f} ms"

    # A client given "A,B" keeps sending when A is SIGKILLed.
    acked: list[Event] = [e for e in collector.events]
    errors: list[BaseException] = []
    stop = threading.Event()

    def send() -> None:
        with NotificationClient(f"{a.uri},{b.uri}", retry_seconds=20) as client:
            i = 0
            try:
                while not stop.is_set():
                    acked.append(client.send_event("ha", f"f{i}"))
                    i += 1
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    while len(acked) < 150 and not errors:
        time.sleep(0.01)
    a.kill()
    killed_at = len(acked)
    deadline = time.monotonic() + 30
    while len(acked) < killed_at + 150 and not errors:
        assert time.monotonic() < deadline, "sending did not resume on B"
        time.sleep(0.01)
    stop.set()
    sender.join(30)
    assert errors == []

    with NotificationClient(b.uri) as client:
        stored = client.list_events(limit=1_000_000)
        assert [e.offset for e in stored] == list(range(1, len(stored) + 1))
        assert [(e.offset, e.value) for e in stored] == [(e.offset, e.value) for e in acked]
        # The listener on B saw all of it, in order, exactly once.
        got = collector.wait_for(len(stored))
        assert [(e.offset, e.value) for e in got] == [(e.offset, e.value) for e in stored]
    listener_client.close()

    # A's member row expires after the TTL; B stays.
    deadline = time.monotonic() + 10
    while _members(b.uri) != [b.uri]:
        assert time.monotonic() < deadline, _members(b.uri)
        time.sleep(0.2)


def test_single_uri_client_learns_members(ha_pair) -> None:  # noqa: ANN001
    a, b = ha_pair
    with NotificationClient(b.uri, retry_seconds=20) as client:
        first = client.send_event("k", "1")
        b.kill()  # only A is left, learnt through ListMembers
        second = client.send_event("k", "2")
        assert (first.offset, second.offset) == (1, 2)
        assert client._channel.current_uri == a.uri
