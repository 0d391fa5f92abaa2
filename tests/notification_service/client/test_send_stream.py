"""send_event over the shared SendEventStream: concurrency, bad events, SIGKILL and failover."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import grpc
import pytest

from notification_service.client import InvalidRequestError, NotificationClient
from notification_service.model import Event
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.server import NotificationServer

pytestmark = pytest.mark.timeout(120)


def _wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "no progress in time"
        time.sleep(0.02)


def _send_from_threads(
    client: NotificationClient,
    threads: int,
    each: int,
    stop: threading.Event | None = None,
    results: list[tuple[str, Event]] | None = None,
) -> tuple[list[tuple[str, Event]], list[BaseException]]:
    """Every thread sends `each` events (or until `stop`); returns (value, stored) pairs."""
    results = [] if results is None else results
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(t: int) -> None:
        try:
            for i in range(each):
                if stop is not None and stop.is_set():
                    return
                value = f"{t}-{i}"
                stored = client.send_event("k", value)
                with lock:
                    results.append((value, stored))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(90)
    return results, errors


def _assert_log_is(client: NotificationClient, results: list[tuple[str, Event]]) -> None:
    """The stored log is exactly the acknowledged sends: dense, no duplicates."""
    stored = client.list_events(limit=1_000_000)
    assert [e.offset for e in stored] == list(range(1, len(stored) + 1))
    by_offset = {e.offset: e.value for e in stored}
    assert len(stored) == len(results)
    for value, event in results:
        assert event.value == value
        assert by_offset[event.offset] == value


def test_concurrent_sends_share_one_stream(
    inproc_server: Callable[..., NotificationServer],
) -> None:
    server = inproc_server()
    with NotificationClient(f"127.0.0.1:{server.port}", sender="s") as client:
        results, errors = _send_from_threads(client, threads=8, each=100)
        assert errors == []
        assert len(results) == 800
        assert len({e.offset for _, e in results}) == 800
        for value, event in results:
            assert (event.key, event.value, event.sender) == ("k", value, "s")
            assert event.create_time and event.offset
        _assert_log_is(client, results)
        # Each thread saw its own events in increasing offset order.
        for t in range(8):
            mine = [e.offset for v, e in results if v.startswith(f"{t}-")]
            assert mine == sorted(mine)
        assert client._sender._stream is not None  # the stream path was used


def test_invalid_event_fails_alone_and_the_stream_keeps_working(
    inproc_server: Callable[..., NotificationServer],
) -> None:
    server = inproc_server(max_event_value_bytes=100)
    with NotificationClient(f"127.0.0.1:{server.port}") as client:
        first = client.send_event("k", "ok")
        stream = client._sender._stream
        with pytest.raises(InvalidRequestError, match="limit is 100 bytes"):
            client.send_event("k", "x" * 101)
        with pytest.raises(InvalidRequestError, match="key must not be empty"):
            client.send_event(" ", "v")
        second = client.send_event("k", "ok2")
        assert client._sender._stream is stream  # not reconnected
        assert (first.offset, second.offset) == (1, 2)
        assert client.get_latest_offset() == 2


def test_idempotent_resend_over_the_stream(
    inproc_server: Callable[..., NotificationServer],
) -> None:
    server = inproc_server()
    with NotificationClient(f"127.0.0.1:{server.port}") as client:
        first = client.send_event("k", "v", idempotency_id="same")
        client.send_event("k", "other")
        again = client.send_event("k", "changed", idempotency_id="same")
        assert again == first
        assert client.get_latest_offset() == 2


def test_unary_send_event_still_served(inproc_server: Callable[..., NotificationServer]) -> None:
    server = inproc_server()
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        resp = stub.SendEvent(pb.SendEventRequest(key="k", value="v"), timeout=5)
        assert resp.event.offset == 1
        with pytest.raises(grpc.RpcError) as err:
            stub.SendEvent(pb.SendEventRequest(key=""), timeout=5)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_raw_stream_answers_by_seq(inproc_server: Callable[..., NotificationServer]) -> None:
    server = inproc_server()
    requests = [
        pb.SendEventRequest(key="k", value="a", seq=10, idempotency_id="a"),
        pb.SendEventRequest(key="", seq=11),
        pb.SendEventRequest(key="k", value="b", seq=12, idempotency_id="b"),
        pb.SendEventRequest(key="k", value="a", seq=13, idempotency_id="a"),
    ]
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = pb_grpc.NotificationServiceStub(channel)
        # The server answers every request, then ends the stream after the client half-closes.
        responses = {r.seq: r for r in stub.SendEventStream(iter(requests), timeout=10)}
    assert sorted(responses) == [10, 11, 12, 13]
    assert responses[11].error_code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert responses[10].error_code == 0 and responses[12].error_code == 0
    assert responses[13].event == responses[10].event
    assert {responses[10].event.offset, responses[12].event.offset} == {1, 2}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_sigkill_breaks_the_stream_and_sends_resume_without_duplicates(
    backend: str,
    request: pytest.FixtureRequest,
    server_process: Callable[..., object],
    make_schema: Callable[[str], None],
) -> None:
    db_uri = request.getfixturevalue(f"{backend}_uri")
    make_schema(db_uri)
    server = server_process(db_uri=db_uri)
    with NotificationClient(server.uri, retry_seconds=30) as client:
        stop = threading.Event()
        outcome: list = []
        acked: list[tuple[str, Event]] = []
        runner = threading.Thread(
            target=lambda: outcome.append(_send_from_threads(client, 4, 100_000, stop, acked))
        )
        runner.start()
        _wait_for(lambda: len(acked) >= 50)
        server.kill()  # several sends are in flight on the stream
        acked_before = len(acked)
        time.sleep(0.3)
        server.start()
        # Progress, not a fixed wait: a loaded machine may take a while to resume.
        _wait_for(lambda: len(acked) > acked_before + 20)
        stop.set()
        runner.join(60)
        results, errors = outcome[0]
        assert errors == []
        assert len(results) > acked_before + 20  # sending went on after the restart
        _assert_log_is(client, results)


def test_stream_fails_over_to_the_second_server(
    server_process: Callable[..., object],
    sqlite_uri: str,
    make_schema: Callable[[str], None],
) -> None:
    make_schema(sqlite_uri)
    first = server_process(db_uri=sqlite_uri)
    second = server_process(db_uri=sqlite_uri)  # same database
    with NotificationClient(f"{first.uri},{second.uri}", retry_seconds=30) as client:
        stop = threading.Event()
        outcome: list = []
        acked: list[tuple[str, Event]] = []
        runner = threading.Thread(
            target=lambda: outcome.append(_send_from_threads(client, 4, 100_000, stop, acked))
        )
        runner.start()
        _wait_for(lambda: len(acked) >= 50)
        first.kill()
        acked_before = len(acked)
        _wait_for(lambda: len(acked) > acked_before + 20)
        stop.set()
        runner.join(60)
        results, errors = outcome[0]
        assert errors == []
        assert len(results) > acked_before + 20
        assert client._channel.current_uri == second.uri
        _assert_log_is(client, results)
