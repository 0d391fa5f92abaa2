"""NotificationClient against in-process servers: listeners, errors, failover."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator

import pytest

from notification_service.client import (
    Event,
    ListenerProcessor,
    NotificationClient,
    ServerUnavailableError,
)
from notification_service.server import NotificationServer


@pytest.fixture
def server(inproc_server: Callable[..., NotificationServer]) -> NotificationServer:
    return inproc_server()


@pytest.fixture
def uri(server: NotificationServer) -> str:
    return f"127.0.0.1:{server.port}"


@pytest.fixture
def client(uri: str) -> Iterator[NotificationClient]:
    with NotificationClient(uri, sender="me") as c:
        yield c


def test_listener_gets_new_events_in_order(client: NotificationClient, new_collector) -> None:  # noqa: ANN001
    client.send_event("k", "before")
    collector = new_collector()
    client.register_listener(collector)  # starts after the latest offset
    time.sleep(0.1)
    sent = [client.send_event("k", str(i)) for i in range(50)]
    sent += client.send_events([("k", f"b{i}") for i in range(50)])
    got = collector.wait_for(100)
    assert [e.offset for e in got] == [e.offset for e in sent]
    assert [e.value for e in got] == [e.value for e in sent]
    assert got[0].offset == 2


def test_listener_filters_by_key_and_namespace(
    client: NotificationClient,
    uri: str,
    new_collector,  # noqa: ANN001
) -> None:
    by_key, by_ns, both = new_collector(), new_collector(), new_collector()
    client.register_listener(by_key, event_keys=["a", "c"], begin_offset=0)
    client.register_listener(by_ns, namespace="ns2", begin_offset=0)
    client.register_listener(both, event_keys=["a"], namespace="ns2", begin_offset=0)
    with NotificationClient(uri, namespace="ns2") as other:
        for key in ["a", "b", "c"]:
            client.send_event(key)
            other.send_event(key)
    assert [(e.key, e.namespace) for e in by_key.wait_for(4)] == [
        ("a", "default"),
        ("a", "ns2"),
        ("c", "default"),
        ("c", "ns2"),
    ]
    assert [e.offset for e in by_ns.wait_for(3)] == [2, 4, 6]
    assert [e.offset for e in both.wait_for(1)] == [2]
    time.sleep(0.2)
    assert len(by_key.events) == 4 and len(by_ns.events) == 3 and len(both.events) == 1


def test_listener_begin_offset_and_begin_time(client: NotificationClient, new_collector) -> None:  # noqa: ANN001
    client.send_events([("k", "1"), ("k", "2")])
    time.sleep(0.02)
    third = client.send_event("k", "3")
    client.send_event("k", "4")
    from_offset, from_time = new_collector(), new_collector()
    client.register_listener(from_offset, begin_offset=1)
    client.register_listener(from_time, begin_time=third.create_time)
    assert [e.value for e in from_offset.wait_for(3)] == ["2", "3", "4"]
    assert [e.value for e in from_time.wait_for(2)] == ["3", "4"]
    client.send_event("k", "5")
    assert [e.value for e in from_time.wait_for(3)] == ["3", "4", "5"]


def test_unregister_stops_delivery(client: NotificationClient, new_collector) -> None:  # noqa: ANN001
    collector = new_collector()
    listener_id = client.register_listener(collector, begin_offset=0)
    client.send_event("k", "1")
    collector.wait_for(1)
    client.unregister_listener(listener_id)
    client.send_events([("k", "2"), ("k", "3")])
    time.sleep(0.3)
    assert [e.value for e in collector.events] == ["1"]
    with pytest.raises(KeyError):
        client.unregister_listener(listener_id)


def test_failing_processor_does_not_end_the_stream(client: NotificationClient) -> None:
    class Flaky(ListenerProcessor):
        def __init__(self) -> None:
            self.calls = 0
            self.values: list[str | None] = []

        def process(self, events: list[Event]) -> None:
            self.calls += 1
            self.values.extend(e.value for e in events)
            if self.calls == 1:
                raise RuntimeError("processor bug")

    flaky = Flaky()
    client.register_listener(flaky, begin_offset=0)
    client.send_event("k", "1")
    deadline = time.monotonic() + 5
    while flaky.calls < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    client.send_event("k", "2")
    while "2" not in flaky.values and time.monotonic() < deadline:
        time.sleep(0.01)
    assert flaky.values == ["1", "2"]
    assert flaky.calls == 2


def test_listener_latency(client: NotificationClient, new_collector) -> None:  # noqa: ANN001
    collector = new_collector()
    client.register_listener(collector)
    time.sleep(0.1)
    sent_at = []
    for i in range(40):
        sent_at.append(time.perf_counter())
        client.send_event("lat", str(i))
        time.sleep(0.005)
    collector.wait_for(40)
    latencies = [a - s for a, s in zip(collector.arrivals, sent_at, strict=True)]
    assert statistics.median(latencies) < 0.1
    assert max(latencies) < 1.0


def test_listener_receives_big_events(client: NotificationClient, new_collector) -> None:  # noqa: ANN001
    value = "v" * (900 * 1024)
    for _ in range(10):
        client.send_events([("big", value)] * 2)
    collector = new_collector()
    client.register_listener(collector, begin_offset=0)
    got = collector.wait_for(20, timeout=20)
    assert [e.offset for e in got] == list(range(1, 21))
    assert all(e.value == value for e in got)


def test_server_unavailable_when_nothing_listens(new_port) -> None:  # noqa: ANN001
    started = time.monotonic()
    with NotificationClient(f"127.0.0.1:{new_port()}", retry_seconds=0.3) as client:
        with pytest.raises(ServerUnavailableError, match="unreachable"):
            client.send_event("k", "v")
        with pytest.raises(ConnectionError):
            client.list_events()
    assert time.monotonic() - started < 10


def test_closed_client_refuses_calls(uri: str) -> None:
    client = NotificationClient(uri)
    client.close()
    with pytest.raises(ServerUnavailableError, match="closed"):
        client.get_latest_offset()


def test_first_uri_dead_second_serves(uri: str, new_port, new_collector) -> None:  # noqa: ANN001
    dead = f"127.0.0.1:{new_port()}"
    with NotificationClient(f"{dead},{uri}", retry_seconds=5) as client:
        collector = new_collector()
        client.register_listener(collector, begin_offset=0)
        events = [client.send_event("k", str(i)) for i in range(5)]
        assert [e.offset for e in events] == [1, 2, 3, 4, 5]
        assert client.count_events()[0] == 5
        assert [e.offset for e in collector.wait_for(5)] == [1, 2, 3, 4, 5]


def test_send_events_accepts_context(client: NotificationClient) -> None:
    stored = client.send_events([("k", "v", "ctx"), ("k", None)])
    assert [(e.value, e.context) for e in stored] == [("v", "ctx"), (None, None)]


def test_caller_chosen_idempotency_id(client: NotificationClient) -> None:
    first = client.send_event("k", "v", idempotency_id="job-42")
    again = client.send_event("k", "changed", idempotency_id="job-42")
    assert again == first
    assert client.get_latest_offset() == 1


class _Watcher(ListenerProcessor):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.progress_offsets: list[int] = []

    def process(self, events: list[Event]) -> None:
        self.events.extend(events)

    def progress(self, offset: int) -> None:
        self.progress_offsets.append(offset)


def test_a_listener_filters_on_key_prefixes_and_hears_how_far_the_filter_skipped(
    client: NotificationClient,
) -> None:
    watcher = _Watcher()
    listener = client.register_listener(watcher, event_keys=["exact"], key_prefixes=["pre/"])
    sent = [client.send_event(key, "v") for key in ("noise", "pre/a", "exact", "prefix", "pre/b")]
    for _ in range(5):
        client.send_event("noise", "more")
    last = client.get_latest_offset()
    deadline = time.monotonic() + 10
    while (not watcher.progress_offsets or watcher.progress_offsets[-1] < last) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.02)
    client.unregister_listener(listener)
    assert [e.key for e in watcher.events] == ["pre/a", "exact", "pre/b"]
    assert watcher.progress_offsets[-1] == last  # past the noise it never received
    assert watcher.progress_offsets == sorted(set(watcher.progress_offsets))
    assert watcher.progress_offsets[0] >= sent[0].offset  # once something was skipped
    # Listing takes the same filter.
    assert [e.key for e in client.list_events(["exact"], key_prefixes=["pre/"])] == [
        "pre/a",
        "exact",
        "pre/b",
    ]
