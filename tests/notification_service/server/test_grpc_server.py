"""The gRPC server in-process over real sockets, driven by the client and the raw stub."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import grpc
import pytest

from notification_service.client import (
    InvalidRequestError,
    NotificationClient,
    NotificationError,
)
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.server import NotificationServer
from notification_service.server._service import DEFAULT_LIST_LIMIT


@pytest.fixture
def server(inproc_server: Callable[..., NotificationServer]) -> NotificationServer:
    return inproc_server(max_list_limit=50)


@pytest.fixture
def uri(server: NotificationServer) -> str:
    return f"127.0.0.1:{server.port}"


@pytest.fixture
def client(uri: str) -> Iterator[NotificationClient]:
    with NotificationClient(uri, sender="tester") as c:
        yield c


@pytest.fixture
def stub(uri: str) -> Iterator[pb_grpc.NotificationServiceStub]:
    with grpc.insecure_channel(uri) as channel:
        yield pb_grpc.NotificationServiceStub(channel)


def test_send_list_count(client: NotificationClient, uri: str) -> None:
    first = client.send_event("k1", "v1", context="c")
    assert (first.offset, first.key, first.value, first.context) == (1, "k1", "v1", "c")
    assert first.namespace == "default"
    assert first.sender == "tester"
    assert first.create_time > 0
    batch = client.send_events([("k2", "v2"), ("k1", None, "ctx")])
    assert [e.offset for e in batch] == [2, 3]
    assert batch[1].value is None and batch[1].context == "ctx"
    assert client.send_events([]) == []

    with NotificationClient(uri, namespace="other") as other:
        other.send_event("k1", "elsewhere")
    assert [e.offset for e in client.list_events()] == [1, 2, 3, 4]  # every namespace
    assert [e.offset for e in client.list_events(namespace="default")] == [1, 2, 3]
    assert [e.offset for e in client.list_events("k1", namespace="other")] == [4]
    assert [e.offset for e in client.list_events(["k1", "k2"], begin_offset=1)] == [2, 3, 4]
    assert [e.offset for e in client.list_events(end_offset=2)] == [1, 2]
    assert [e.offset for e in client.list_events(sender="tester")] == [1, 2, 3]
    assert client.list_events(limit=2)[-1].offset == 2
    assert client.count_events() == (4, {"tester": 3, None: 1})
    assert client.count_events("k1") == (3, {"tester": 2, None: 1})
    assert client.count_events(begin_offset=2, namespace="default") == (1, {"tester": 1})
    assert client.get_latest_offset() == 4


def test_begin_time_and_time_to_offset(client: NotificationClient) -> None:
    early = client.send_event("k", "early")
    time.sleep(0.02)
    late = client.send_event("k", "late")
    assert [e.value for e in client.list_events(begin_time=late.create_time)] == ["late"]
    assert client.count_events(begin_time=early.create_time)[0] == 2
    assert client.time_to_offset(early.create_time - 1) == 0
    assert client.time_to_offset(late.create_time) == 2


def test_list_pages_beyond_server_page(client: NotificationClient, stub) -> None:  # noqa: ANN001
    client.send_events([("k", str(i)) for i in range(120)])
    # The server caps one page at max_list_limit=50 and says there is more.
    resp = stub.ListEvents(pb.ListEventsRequest(limit=1000))
    assert len(resp.events) == 50 and resp.has_more
    resp = stub.ListEvents(pb.ListEventsRequest(filter=pb.EventFilter(begin_offset=100), limit=20))
    assert len(resp.events) == 20 and not resp.has_more
    resp = stub.ListEvents(pb.ListEventsRequest(filter=pb.EventFilter(begin_offset=100), limit=19))
    assert resp.has_more
    # Without a limit the client returns one server page; with one it pages through.
    assert len(client.list_events()) == min(50, DEFAULT_LIST_LIMIT)
    assert [e.offset for e in client.list_events(limit=110)] == list(range(1, 111))
    assert [e.offset for e in client.list_events(limit=10_000)] == list(range(1, 121))
    assert [e.offset for e in client.list_events(begin_offset=60, limit=10_000)] == list(
        range(61, 121)
    )


def test_big_values_are_split_across_list_pages(
    inproc_server: Callable[..., NotificationServer],
) -> None:
    server = inproc_server()
    with NotificationClient(f"127.0.0.1:{server.port}") as client:
        value = "x" * (900 * 1024)
        for _ in range(4):
            client.send_events([("big", value)] * 2)
        events = client.list_events(limit=100)
        assert [e.offset for e in events] == list(range(1, 9))
        assert all(e.value == value for e in events)


def test_invalid_requests(inproc_server: Callable[..., NotificationServer]) -> None:
    server = inproc_server(max_event_value_bytes=100)
    with NotificationClient(f"127.0.0.1:{server.port}") as client:
        with pytest.raises(InvalidRequestError, match="key must not be empty"):
            client.send_event("", "v")
        with pytest.raises(InvalidRequestError, match="key must not be empty"):
            client.send_event("   ")
        with pytest.raises(InvalidRequestError, match="1025 characters"):
            client.send_event("k" * 1025)
        with pytest.raises(InvalidRequestError, match="max_event_value_bytes"):
            client.send_event("k", "é" * 51)  # 102 bytes in UTF-8
        with pytest.raises(InvalidRequestError, match="event 2:"):
            client.send_events([("ok", "v"), ("", "v")])
        with pytest.raises(InvalidRequestError):
            NotificationClient(f"127.0.0.1:{server.port}", namespace="n" * 256).send_event("k")
        # ValueError too, for callers that do not know the client's error types.
        with pytest.raises(ValueError):
            client.send_event("")
        assert client.send_event("k" * 1024, "v" * 100).offset == 1
        assert client.get_latest_offset() == 1  # the rejected batch stored nothing


def test_invalid_list_limit_and_oversize_idempotency_id(stub) -> None:  # noqa: ANN001
    with pytest.raises(grpc.RpcError) as err:
        stub.ListEvents(pb.ListEventsRequest(limit=-1))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        stub.SendEvent(pb.SendEventRequest(key="k", idempotency_id="x" * 129))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_idempotent_resend_over_the_wire(stub) -> None:  # noqa: ANN001
    request = pb.SendEventRequest(key="k", value="v", idempotency_id="fixed-id")
    first = stub.SendEvent(request).event
    again = stub.SendEvent(request).event
    assert again == first
    batch = stub.SendEvents(
        pb.SendEventsRequest(
            events=[request, pb.SendEventRequest(key="k2", idempotency_id="other")]
        )
    ).events
    assert [e.offset for e in batch] == [1, 2]
    assert stub.GetLatestOffset(pb.LatestOffsetRequest()).offset == 2


def test_concurrent_sends_are_group_committed(client: NotificationClient) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        for i in range(n):
            offset = client.send_event(f"t{threading.get_ident()}", str(i)).offset
            with lock:
                results.append(offset)

    threads = [threading.Thread(target=send, args=(50,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(1, 401))
    assert client.count_events()[0] == 400


def test_listen_stream_applies_filters_on_the_server(stub, client: NotificationClient) -> None:  # noqa: ANN001
    client.send_events([("a", "1"), ("b", "2"), ("a", "3")])
    with NotificationClient(client._channel.current_uri, namespace="ns2") as other:
        other.send_events([("a", "4"), ("b", "5")])
    client.send_event("a", "6")

    def stream(flt: pb.EventFilter, want: int) -> list[tuple[int, str]]:
        call = stub.ListenEvents(pb.ListenEventsRequest(filter=flt, batch_size=2))
        got: list[tuple[int, str]] = []
        for batch in call:
            assert 0 < len(batch.events) <= 2
            got.extend((e.offset, e.value) for e in batch.events)
            if len(got) >= want:
                break
        call.cancel()
        return got

    assert stream(pb.EventFilter(keys=["a"]), 4) == [(1, "1"), (3, "3"), (4, "4"), (6, "6")]
    assert stream(pb.EventFilter(namespace="ns2"), 2) == [(4, "4"), (5, "5")]
    assert stream(pb.EventFilter(keys=["b"], namespace="default"), 1) == [(2, "2")]
    assert stream(pb.EventFilter(begin_offset=4), 2) == [(5, "5"), (6, "6")]


def test_rpcs_without_ha(stub) -> None:  # noqa: ANN001
    assert list(stub.ListMembers(pb.ListMembersRequest()).members) == []
    stub.NotifyNewEvents(pb.NotifyNewEventsRequest(offset=0))


def test_server_start_fails_on_a_busy_port(
    inproc_server: Callable[..., NotificationServer], server: NotificationServer
) -> None:
    from notification_service.server import ServerStartError

    with pytest.raises(ServerStartError, match="cannot listen"):
        inproc_server(server_port=server.port)


def test_unknown_errors_are_notification_errors(stub, client: NotificationClient) -> None:  # noqa: ANN001
    # 17 MiB exceeds the server's receive limit: not invalid, not unavailable.
    with pytest.raises(NotificationError) as err:
        client.send_events([("k", "x" * (1024 * 1024 - 1))] * 17)
    assert not isinstance(err.value, InvalidRequestError)
