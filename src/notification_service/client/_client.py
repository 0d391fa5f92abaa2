"""The Python client of the notification service."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from notification_service.client._channel import FailoverChannel
from notification_service.client._errors import InvalidRequestError
from notification_service.client._listener import ListenerProcessor, ListenerThread
from notification_service.client._stream import EventSender
from notification_service.model import DEFAULT_NAMESPACE, Event, EventFilter
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto.convert import (
    event_from_proto,
    filter_to_proto,
)
from notification_service.util.environment import notification_token

TimeArg = int | float | datetime | None
T = TypeVar("T")


def _request(build: Callable[[], T]) -> T:
    """Build a request; a value the protocol cannot carry (an offset beyond int64, a key
    that is not a string) is an InvalidRequestError, not a protobuf ValueError."""
    try:
        return build()
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"invalid request: {exc}") from None


def to_ms(value: TimeArg) -> int | None:
    """datetime or epoch milliseconds -> epoch milliseconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return int(value)


def _keys(key: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if key is None:
        return ()
    return (key,) if isinstance(key, str) else tuple(key)


class NotificationClient:
    """Thread-safe client. `server_uri` may list several servers: `h1:50052,h2:50052`.

    `namespace` and `sender` tag sent events; reads cover all namespaces unless given one.
    `token` is for servers with `auth_tokens` (default: $NOTIFICATION_TOKEN); a refused
    token raises AuthenticationError, a namespace beyond it PermissionDeniedError.
    """

    def __init__(
        self,
        server_uri: str,
        namespace: str | None = None,
        sender: str | None = None,
        rpc_timeout: float = 10.0,
        retry_seconds: float = 15.0,
        token: str | None = None,
    ) -> None:
        self.namespace = namespace
        self.sender = sender
        token = token or notification_token()
        self._channel = FailoverChannel(server_uri, rpc_timeout, retry_seconds, token)
        # Single sends share one stream per client, opened on first use.
        self._sender = EventSender(self._channel, rpc_timeout, retry_seconds)
        self._listeners: dict[str, ListenerThread] = {}
        self._lock = threading.Lock()
        if len(server_uri.split(",")) == 1:
            self._channel.learn_members()

    def send_event(
        self,
        key: str,
        value: str | None = None,
        context: str | None = None,
        idempotency_id: str | None = None,
        namespace: str | None = None,
    ) -> Event:
        """Store an event and return it with its offset; retries never store it twice.

        A caller-chosen `idempotency_id` makes resends from other processes (or after a
        restart) return the event stored first instead of storing a new one. `namespace`
        overrides the client's for this event.
        """
        request = _request(
            lambda: pb.SendEventRequest(
                key=key,
                value=value,
                namespace=namespace or self.namespace or DEFAULT_NAMESPACE,
                sender=self.sender,
                context=context,
                idempotency_id=idempotency_id or uuid.uuid4().hex,
            )
        )
        return event_from_proto(self._sender.send(request))

    def send_events(
        self, events: list[tuple[str, str | None] | tuple[str, str | None, str | None]]
    ) -> list[Event]:
        """Store (key, value[, context]) tuples in one round trip and one transaction."""
        requests = [
            _request(
                lambda item=item: pb.SendEventRequest(  # type: ignore[misc]
                    key=item[0],
                    value=item[1],
                    namespace=self.namespace or DEFAULT_NAMESPACE,
                    sender=self.sender,
                    context=item[2] if len(item) > 2 else None,
                    idempotency_id=uuid.uuid4().hex,
                )
            )
            for item in events
        ]
        request = pb.SendEventsRequest(events=requests)
        resp = self._channel.call(
            lambda stub, t, m: stub.SendEvents(request, timeout=t, metadata=m)
        )
        return [event_from_proto(e) for e in resp.events]

    def list_events(
        self,
        key: str | list[str] | None = None,
        namespace: str | None = None,
        sender: str | None = None,
        begin_offset: int | None = None,
        begin_time: TimeArg = None,
        end_offset: int | None = None,
        limit: int | None = None,
        key_prefixes: list[str] | None = None,
    ) -> list[Event]:
        """Events after `begin_offset` in offset order; pages through up to `limit` events.

        Without `limit` it returns at most one server page (1,000 by default).
        """
        flt = EventFilter(
            _keys(key),
            namespace,
            sender,
            begin_offset,
            to_ms(begin_time),
            end_offset,
            key_prefixes=tuple(key_prefixes or ()),
        )
        events: list[Event] = []
        while True:
            # A page is an int32 on the wire; larger limits are reached page by page.
            want = 0 if limit is None else min(limit - len(events), 2**31 - 1)
            request = _request(
                lambda f=flt, w=want: pb.ListEventsRequest(  # type: ignore[misc]
                    filter=filter_to_proto(f), limit=w
                )
            )
            resp = self._channel.call(
                lambda stub, t, m, r=request: stub.ListEvents(  # type: ignore[misc]
                    r, timeout=t, metadata=m
                )
            )
            events.extend(event_from_proto(e) for e in resp.events)
            if limit is None or not resp.has_more or len(events) >= limit or not resp.events:
                return events
            flt = EventFilter(
                flt.keys, namespace, sender, events[-1].offset, flt.begin_time, end_offset
            )

    def count_events(
        self,
        key: str | list[str] | None = None,
        namespace: str | None = None,
        sender: str | None = None,
        begin_offset: int | None = None,
        begin_time: TimeArg = None,
        end_offset: int | None = None,
    ) -> tuple[int, dict[str | None, int]]:
        """(total, {sender: count}) of matching events."""
        flt = EventFilter(
            _keys(key), namespace, sender, begin_offset, to_ms(begin_time), end_offset
        )
        request = _request(lambda: pb.CountEventsRequest(filter=filter_to_proto(flt)))
        resp = self._channel.call(
            lambda stub, t, m: stub.CountEvents(request, timeout=t, metadata=m)
        )
        return resp.count, {(c.sender or None): c.count for c in resp.sender_counts}

    def get_latest_offset(self) -> int:
        resp = self._channel.call(
            lambda stub, t, m: stub.GetLatestOffset(pb.LatestOffsetRequest(), timeout=t, metadata=m)
        )
        return resp.offset

    def time_to_offset(self, time: TimeArg) -> int:
        """The highest offset created at or before `time` (datetime or epoch ms)."""
        request = _request(lambda: pb.TimeToOffsetRequest(timestamp=to_ms(time) or 0))
        return self._channel.call(
            lambda stub, t, m: stub.TimeToOffset(request, timeout=t, metadata=m)
        ).offset

    def register_listener(
        self,
        listener_processor: ListenerProcessor,
        event_keys: list[str] | None = None,
        begin_offset: int | None = None,
        begin_time: TimeArg = None,
        namespace: str | None = None,
        key_prefixes: list[str] | None = None,
    ) -> str:
        """Deliver matching events to `listener_processor` on a new thread; returns its id.

        Starts after `begin_offset`, or at `begin_time`, or else with events sent from now on.
        Keys starting with one of `key_prefixes` match besides `event_keys`.
        """
        if begin_offset is None and begin_time is None:
            begin_offset = self.get_latest_offset()
        flt = EventFilter(
            _keys(event_keys),
            namespace,
            None,
            begin_offset,
            to_ms(begin_time),
            key_prefixes=tuple(key_prefixes or ()),
        )
        _request(lambda: filter_to_proto(flt))  # refuse a bad filter here, not on the thread
        thread = ListenerThread(self._channel, listener_processor, flt)
        listener_id = uuid.uuid4().hex
        with self._lock:
            self._listeners[listener_id] = thread
        thread.start()
        return listener_id

    def unregister_listener(self, listener_id: str) -> None:
        with self._lock:
            thread = self._listeners.pop(listener_id, None)
        if thread is None:
            raise KeyError(f"no listener with id {listener_id}")
        thread.stop()

    def close(self) -> None:
        with self._lock:
            threads = list(self._listeners.values())
            self._listeners.clear()
        for thread in threads:
            thread.stop()
        self._sender.close()
        self._channel.close()

    def __enter__(self) -> NotificationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Kept for users of the original project, where the client had this name.
EmbeddedNotificationClient = NotificationClient
