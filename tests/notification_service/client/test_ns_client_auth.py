"""The client against a server with auth_tokens: the token on every call and stream, and
refusals as one-line errors that are never retried."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from notification_service.client import (
    AuthenticationError,
    ListenerProcessor,
    NotificationClient,
    NotificationError,
    PermissionDeniedError,
)
from notification_service.model import Event
from notification_service.server import NotificationServer

ADMIN = "admin-token-0001"
WRITER_A = "writer-a-token-01"
READER_A = "reader-a-token-01"
TOKENS = [
    {"name": "admin", "token": ADMIN},
    {"name": "writer-a", "token": WRITER_A, "write": ["a"]},
    {"name": "reader-a", "token": READER_A, "read": ["a"]},
]
# Far longer than any test may take: a refusal that were retried would show.
RETRY_SECONDS = 30.0


@pytest.fixture
def uri(inproc_server: Callable[..., NotificationServer]) -> str:
    return f"127.0.0.1:{inproc_server(auth_tokens=TOKENS).port}"


@pytest.fixture(autouse=True)
def _no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFICATION_TOKEN", raising=False)


def _client(uri: str, token: str | None = None, **kwargs: object) -> NotificationClient:
    return NotificationClient(uri, token=token, retry_seconds=RETRY_SECONDS, **kwargs)  # type: ignore[arg-type]


CALLS: dict[str, Callable[[NotificationClient], object]] = {
    "send_event (stream)": lambda c: c.send_event("k", "v"),
    "send_events": lambda c: c.send_events([("k", "v")]),
    "list_events": lambda c: c.list_events(),
    "count_events": lambda c: c.count_events(),
    "get_latest_offset": lambda c: c.get_latest_offset(),
    "time_to_offset": lambda c: c.time_to_offset(1),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("token", [None, "not-a-known-token"])
def test_no_or_a_bad_token_fails_at_once(uri: str, name: str, token: str | None) -> None:
    with _client(uri, token) as client:
        started = time.monotonic()
        with pytest.raises(AuthenticationError) as info:
            CALLS[name](client)
        assert time.monotonic() - started < 5  # not retried, not failed over
    assert isinstance(info.value, NotificationError)
    assert "\n" not in str(info.value)
    if token is None:
        assert "NOTIFICATION_TOKEN" in str(info.value)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_right_token_is_sent_on_every_call(uri: str, name: str) -> None:
    with _client(uri, ADMIN) as client:
        CALLS[name](client)


def test_the_token_comes_from_notification_token(uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFICATION_TOKEN", WRITER_A)
    with NotificationClient(uri, namespace="a") as client:
        assert client.send_event("k", "v").namespace == "a"
        assert client.send_events([("k", "v")])[0].namespace == "a"
    with _client(uri, READER_A) as client:  # an explicit token wins over the variable
        with pytest.raises(PermissionDeniedError):
            client.send_event("k", "v", namespace="a")


def test_another_namespace_is_permission_denied(uri: str) -> None:
    with _client(uri, WRITER_A, namespace="b") as client:
        started = time.monotonic()
        with pytest.raises(
            PermissionDeniedError, match="^token 'writer-a' may not write namespace 'b'$"
        ):
            client.send_event("k", "v")
        with pytest.raises(PermissionDeniedError):
            client.send_events([("k", "v"), ("k2", "v")])
        with pytest.raises(PermissionDeniedError, match="may not read every namespace"):
            client.list_events()
        with pytest.raises(PermissionDeniedError):
            client.count_events(namespace="b")
        assert time.monotonic() - started < 5
        # The shared send stream still serves the namespace the token may write.
        assert client.send_event("k", "v", namespace="a").namespace == "a"
        assert [e.namespace for e in client.list_events(namespace="a")] == ["a"]


def test_sends_from_many_threads_on_one_stream_fail_or_pass_by_namespace(uri: str) -> None:
    results: dict[int, object] = {}
    with _client(uri, WRITER_A) as client:

        def send(i: int) -> None:
            try:
                results[i] = client.send_event(f"k{i}", "v", namespace="ab"[i % 2])
            except NotificationError as exc:
                results[i] = exc

        threads = [threading.Thread(target=send, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
    for i, result in results.items():
        if i % 2:
            assert isinstance(result, PermissionDeniedError)
        else:
            assert isinstance(result, Event) and result.namespace == "a"
    assert len(results) == 10


class _Recorder(ListenerProcessor):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.errors: list[NotificationError] = []
        self.stopped = threading.Event()

    def process(self, events: list[Event]) -> None:
        self.events.extend(events)
        self.stopped.set()

    def failed(self, error: NotificationError) -> None:
        self.errors.append(error)
        self.stopped.set()


def test_a_refused_listener_stops_and_says_why(uri: str) -> None:
    with _client(uri, READER_A) as client:
        recorder = _Recorder()
        listener = client.register_listener(recorder, begin_offset=0, namespace="b")
        assert recorder.stopped.wait(10)
        assert [type(e) for e in recorder.errors] == [PermissionDeniedError]
        assert str(recorder.errors[0]) == "token 'reader-a' may not read namespace 'b'"
        thread = client._listeners[listener]
        thread.join(5)
        assert not thread.is_alive() and thread.error is recorder.errors[0]
        client.unregister_listener(listener)


def test_a_listener_hears_events_with_its_token(uri: str) -> None:
    with _client(uri, ADMIN) as admin:
        admin.send_event("k", "v", namespace="a")
    with _client(uri, READER_A) as client:
        recorder = _Recorder()
        listener = client.register_listener(recorder, begin_offset=0, namespace="a")
        assert recorder.stopped.wait(10)
        assert [e.namespace for e in recorder.events] == ["a"] and not recorder.errors
        client.unregister_listener(listener)


def test_a_listener_without_a_token_fails_on_registering(uri: str) -> None:
    with _client(uri) as client:
        with pytest.raises(AuthenticationError):
            client.register_listener(_Recorder(), namespace="a")  # it asks for the offset
