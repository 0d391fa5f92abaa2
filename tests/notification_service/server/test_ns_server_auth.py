"""Access control of the notification server: every RPC over a real socket, with no
token, a wrong one, one for another namespace and the right one (issue 11)."""

from __future__ import annotations

import hashlib
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import grpc
import pytest

from notification_service.model import EventFilter
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.server import NotificationServer
from notification_service.server._auth import SCOPES
from notification_service.util.auth import auth_metadata

Stub = pb_grpc.NotificationServiceStub
OK = grpc.StatusCode.OK
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED

ADMIN = "admin-token-0001"
WRITER_A = "writer-a-token-01"  # write (so read) namespace 'a'
READER_A = "reader-a-token-01"  # read namespace 'a'
HASHED = "hashed-token-0001"  # everything, configured by its digest
TOKENS = [
    {"name": "admin", "token": ADMIN},
    {"name": "writer-a", "token": WRITER_A, "write": ["a"]},
    {"name": "reader-a", "token": READER_A, "read": ["a"]},
    {"name": "hashed", "token_sha256": hashlib.sha256(HASHED.encode()).hexdigest()},
]
TIMEOUT = 5.0
CODES = {code.value[0]: code for code in grpc.StatusCode}
REFUSED = (UNAUTHENTICATED, PERMISSION_DENIED)


def _status(call: Callable[[], object]) -> grpc.StatusCode:
    try:
        call()
    except grpc.RpcError as err:
        return err.code()
    return OK


def _filter(namespace: str | None) -> pb.EventFilter:
    return pb.EventFilter(namespace=namespace, begin_offset=0)


def _send_event(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    return _status(lambda: stub.SendEvent(_event(ns), metadata=md, timeout=TIMEOUT))


def _send_events(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    request = pb.SendEventsRequest(events=[_event(ns), _event(ns)])
    return _status(lambda: stub.SendEvents(request, metadata=md, timeout=TIMEOUT))


def _send_event_stream(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    """A refused message is answered alone, with the status as its error code."""
    answers: list[pb.SendEventResponse] = []

    def call() -> None:
        requests = iter([pb.SendEventRequest(key="k", namespace=ns, seq=1)])
        answers.extend(stub.SendEventStream(requests, metadata=md, timeout=TIMEOUT))

    status = _status(call)
    if status != OK or not answers[0].error_code:
        return status
    return CODES[answers[0].error_code]


def _list_events(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    request = pb.ListEventsRequest(filter=_filter(ns))
    return _status(lambda: stub.ListEvents(request, metadata=md, timeout=TIMEOUT))


def _count_events(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    request = pb.CountEventsRequest(filter=_filter(ns))
    return _status(lambda: stub.CountEvents(request, metadata=md, timeout=TIMEOUT))


def _listen_events(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    """The first batch (the fixture stored an event in every namespace) or the refusal."""
    request = pb.ListenEventsRequest(filter=_filter(ns))
    return _status(lambda: next(iter(stub.ListenEvents(request, metadata=md, timeout=TIMEOUT))))


def _get_latest_offset(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    request = pb.LatestOffsetRequest()
    return _status(lambda: stub.GetLatestOffset(request, metadata=md, timeout=TIMEOUT))


def _time_to_offset(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    request = pb.TimeToOffsetRequest(timestamp=1)
    return _status(lambda: stub.TimeToOffset(request, metadata=md, timeout=TIMEOUT))


def _list_members(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    request = pb.ListMembersRequest()
    return _status(lambda: stub.ListMembers(request, metadata=md, timeout=TIMEOUT))


def _notify_new_events(stub: Stub, md: tuple, ns: str) -> grpc.StatusCode:
    request = pb.NotifyNewEventsRequest(offset=1)
    return _status(lambda: stub.NotifyNewEvents(request, metadata=md, timeout=TIMEOUT))


def _event(ns: str) -> pb.SendEventRequest:
    return pb.SendEventRequest(key="k", value="v", namespace=ns)


@dataclass(frozen=True)
class Rpc:
    call: Callable[[Stub, tuple, str], grpc.StatusCode]
    #: A token limited to namespace 'a' that this RPC refuses for namespace 'b' (or for
    #: everything, when not `namespaced`); None: any valid token will do.
    limited: str | None
    namespaced: bool


RPCS = {
    "SendEvent": Rpc(_send_event, WRITER_A, namespaced=True),
    "SendEvents": Rpc(_send_events, WRITER_A, namespaced=True),
    "SendEventStream": Rpc(_send_event_stream, WRITER_A, namespaced=True),
    "ListEvents": Rpc(_list_events, READER_A, namespaced=True),
    "CountEvents": Rpc(_count_events, READER_A, namespaced=True),
    "ListenEvents": Rpc(_listen_events, READER_A, namespaced=True),
    "GetLatestOffset": Rpc(_get_latest_offset, None, namespaced=False),
    "TimeToOffset": Rpc(_time_to_offset, None, namespaced=False),
    "ListMembers": Rpc(_list_members, None, namespaced=False),
    "NotifyNewEvents": Rpc(_notify_new_events, WRITER_A, namespaced=False),  # needs '*'
}
SERVICE_METHODS = {m.name for m in pb.DESCRIPTOR.services_by_name["NotificationService"].methods}


def test_every_rpc_has_a_scope_and_a_row_here() -> None:
    assert set(SCOPES) == SERVICE_METHODS
    assert set(RPCS) == SERVICE_METHODS


@pytest.fixture
def secured(inproc_server: Callable[..., NotificationServer]) -> NotificationServer:
    server = inproc_server(auth_tokens=TOKENS)
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = Stub(channel)
        for ns in ("a", "b", "default"):  # something for every listen to find
            assert _send_event(stub, auth_metadata(ADMIN), ns) == OK
    return server


@pytest.fixture
def stub(secured: NotificationServer) -> Iterator[Stub]:
    with grpc.insecure_channel(f"127.0.0.1:{secured.port}") as channel:
        yield Stub(channel)


@pytest.mark.parametrize("name", sorted(RPCS))
def test_rpc_without_a_valid_token_is_unauthenticated(stub: Stub, name: str) -> None:
    rpc = RPCS[name]
    assert rpc.call(stub, (), "a") == UNAUTHENTICATED
    assert rpc.call(stub, auth_metadata("not-a-known-token"), "a") == UNAUTHENTICATED
    assert rpc.call(stub, (("authorization", "Basic YWxhZGRpbjpvcGVu"),), "a") == UNAUTHENTICATED


@pytest.mark.parametrize("name", sorted(RPCS))
def test_rpc_with_a_token_for_another_scope_is_denied(stub: Stub, name: str) -> None:
    rpc = RPCS[name]
    if rpc.limited is None:  # any valid token, whatever its namespaces
        assert rpc.call(stub, auth_metadata(READER_A), "b") == OK
    else:
        assert rpc.call(stub, auth_metadata(rpc.limited), "b") == PERMISSION_DENIED


@pytest.mark.parametrize("name", sorted(RPCS))
def test_rpc_with_the_right_token_is_served(stub: Stub, name: str) -> None:
    rpc = RPCS[name]
    for token in (ADMIN, HASHED):
        assert rpc.call(stub, auth_metadata(token), "b") == OK, token
    if rpc.namespaced:
        assert rpc.call(stub, auth_metadata(rpc.limited), "a") == OK  # type: ignore[arg-type]
    elif rpc.limited is None:
        assert rpc.call(stub, auth_metadata(READER_A), "a") == OK  # any valid token


@pytest.mark.parametrize("name", sorted(RPCS))
def test_without_tokens_every_rpc_needs_none(
    inproc_server: Callable[..., NotificationServer], name: str
) -> None:
    server = inproc_server()
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = Stub(channel)
        assert _send_event(stub, (), "b") == OK  # for the listen to find
        assert RPCS[name].call(stub, (), "b") == OK
        assert RPCS[name].call(stub, auth_metadata("whatever-token"), "b") == OK


@pytest.mark.parametrize("call", [_list_events, _count_events, _listen_events])
def test_reading_every_namespace_needs_read_on_every_namespace(
    stub: Stub, call: Callable[[Stub, tuple, str | None], grpc.StatusCode]
) -> None:
    for everything in (None, "*"):
        assert call(stub, auth_metadata(WRITER_A), everything) == PERMISSION_DENIED
        # (No event is in a namespace named '*': that listen only times out.)
        assert call(stub, auth_metadata(ADMIN), everything) not in REFUSED


def test_an_event_without_namespace_is_written_to_default(stub: Stub) -> None:
    assert _send_event(stub, auth_metadata(WRITER_A), "") == PERMISSION_DENIED
    assert _send_event(stub, auth_metadata(WRITER_A), "a") == OK


def test_the_refusals_are_one_line_each(stub: Stub) -> None:
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetLatestOffset(pb.LatestOffsetRequest(), timeout=TIMEOUT)
    assert "NOTIFICATION_TOKEN" in missing.value.details()
    with pytest.raises(grpc.RpcError) as denied:
        stub.SendEvent(_event("b"), metadata=auth_metadata(WRITER_A), timeout=TIMEOUT)
    assert denied.value.details() == "token 'writer-a' may not write namespace 'b'"
    for err in (missing.value, denied.value):
        assert "\n" not in err.details()


def test_a_refused_batch_stores_nothing(secured: NotificationServer, stub: Stub) -> None:
    before = secured.storage.latest_offset()
    batch = pb.SendEventsRequest(events=[_event("a"), _event("b"), _event("a")])
    with pytest.raises(grpc.RpcError) as info:
        stub.SendEvents(batch, metadata=auth_metadata(WRITER_A), timeout=TIMEOUT)
    assert info.value.code() == PERMISSION_DENIED
    assert secured.storage.latest_offset() == before
    assert _send_event(stub, (), "a") == UNAUTHENTICATED
    assert secured.storage.latest_offset() == before


def test_a_refused_stream_message_fails_alone(secured: NotificationServer, stub: Stub) -> None:
    requests = [pb.SendEventRequest(key="k", namespace=ns, seq=i) for i, ns in enumerate("aba")]
    answers = list(
        stub.SendEventStream(iter(requests), metadata=auth_metadata(WRITER_A), timeout=TIMEOUT)
    )
    by_seq = {a.seq: a for a in answers}
    assert by_seq[0].error_code == 0 and by_seq[2].error_code == 0
    assert by_seq[1].error_code == PERMISSION_DENIED.value[0]
    assert by_seq[1].error_message == "token 'writer-a' may not write namespace 'b'"
    stored = secured.storage.list_events(EventFilter(), 100)
    assert [e.namespace for e in stored][-2:] == ["a", "a"]


def _scrape(port: int, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_metrics_need_a_valid_token_when_tokens_are_configured(
    inproc_server: Callable[..., NotificationServer],
) -> None:
    server = inproc_server(auth_tokens=TOKENS, metrics_port=0)
    assert server.metrics is not None and server.metrics.port
    status, body = _scrape(server.metrics.port, None)
    assert status == 401 and "NOTIFICATION_TOKEN" in body
    assert _scrape(server.metrics.port, "not-a-known-token")[0] == 401
    for token in (READER_A, ADMIN):  # any valid token
        status, body = _scrape(server.metrics.port, token)
        assert status == 200 and "notification_events_appended_total" in body


def test_metrics_are_open_without_tokens(inproc_server: Callable[..., NotificationServer]) -> None:
    server = inproc_server(metrics_port=0)
    assert server.metrics is not None and server.metrics.port
    assert _scrape(server.metrics.port, None)[0] == 200


@pytest.mark.parametrize(
    ("host", "tokens", "warned"),
    [("0.0.0.0", None, True), ("127.0.0.1", None, False), ("0.0.0.0", TOKENS, False)],
)
def test_an_open_host_without_tokens_is_warned_about(
    inproc_server: Callable[..., NotificationServer],
    caplog: pytest.LogCaptureFixture,
    host: str,
    tokens: list[dict[str, object]] | None,
    warned: bool,
) -> None:
    with caplog.at_level(logging.WARNING, logger="notification_service.server"):
        inproc_server(host=host, auth_tokens=tokens)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    opened = [r.getMessage() for r in warnings if "without auth_tokens" in r.getMessage()]
    assert bool(opened) is warned
    if warned:
        assert "listening on 0.0.0.0" in opened[0] and "notification_server.yaml" in opened[0]


def test_ha_peers_hint_with_a_token_that_writes_everywhere(
    inproc_server: Callable[..., NotificationServer], caplog: pytest.LogCaptureFixture
) -> None:
    assert inproc_server(auth_tokens=TOKENS)._peer_token() == ADMIN
    assert inproc_server()._peer_token() is None  # auth off: no token needed
    scoped_or_hashed = [t for t in TOKENS if t["name"] != "admin"]
    with caplog.at_level(logging.WARNING, logger="notification_service.server"):
        assert inproc_server(auth_tokens=scoped_or_hashed)._peer_token() is None
    assert any("HA peers are not hinted" in r.getMessage() for r in caplog.records)
