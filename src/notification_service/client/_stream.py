"""One long-lived SendEventStream per client, shared by every thread that sends events.

A message on an open stream costs about half a unary call. Each send carries a sequence
number the server echoes, so concurrent senders get their own answers. The thread that
waits first reads responses for everyone (no extra reader thread to hand off to). When
the stream breaks, every waiting send is retried on a new stream, after failover, with
the same idempotency id, so the server stores nothing twice.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Iterator

import grpc

from notification_service.client._channel import RETRYABLE, FailoverChannel
from notification_service.client._errors import (
    InvalidRequestError,
    NotificationError,
    ServerUnavailableError,
)
from notification_service.proto import notification_service_pb2 as pb

log = logging.getLogger(__name__)

INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]
# A stream that broke under us (server killed, channel rotated) is retried like UNAVAILABLE.
STREAM_RETRYABLE = (*RETRYABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN)


class _Waiter:
    __slots__ = ("response", "error", "stream", "started")

    def __init__(self, stream: _Stream) -> None:
        self.response: pb.SendEventResponse | None = None
        self.error: BaseException | None = None
        self.stream = stream
        self.started = time.monotonic()


class _StreamBroken(Exception):
    def __init__(self, code: grpc.StatusCode | None, detail: str, uri: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.uri = uri


class _Stream:
    """One open SendEventStream call and its outgoing queue."""

    def __init__(self, channel: FailoverChannel) -> None:
        stub, self.uri = channel.stub()
        self.requests: queue.SimpleQueue[pb.SendEventRequest | None] = queue.SimpleQueue()
        self.call = stub.SendEventStream(_drain(self.requests))
        self.broken = False
        self.reading = False  # some sender thread is reading this stream's responses

    def close(self) -> None:
        self.requests.put(None)  # half-close: ends the request generator thread
        self.call.cancel()


def _drain(requests: queue.SimpleQueue) -> Iterator[pb.SendEventRequest]:
    while True:
        item = requests.get()
        if item is None:
            return
        yield item


class EventSender:
    """Sends single events over a shared stream; falls back to unary SendEvent if needed."""

    def __init__(self, channel: FailoverChannel, rpc_timeout: float, retry_seconds: float):
        self._channel = channel
        self._rpc_timeout = rpc_timeout
        self._retry_seconds = retry_seconds
        self._cond = threading.Condition()
        self._stream: _Stream | None = None
        self._pending: dict[int, _Waiter] = {}
        self._seq = itertools.count(1)
        self._unary_only = False
        self._closed = False
        self._watchdog: threading.Thread | None = None

    def send(self, request: pb.SendEventRequest) -> pb.EventProto:
        if self._unary_only:
            return self._unary(request)
        deadline = time.monotonic() + self._retry_seconds
        delay = 0.05
        while True:
            try:
                resp = self._send_once(request)
            except _StreamBroken as err:
                if err.code == grpc.StatusCode.UNIMPLEMENTED:
                    log.info("server %s has no SendEventStream; using SendEvent", err.uri)
                    self._unary_only = True
                    return self._unary(request)
                if err.code not in STREAM_RETRYABLE or time.monotonic() >= deadline:
                    raise _to_error(err.code, err.detail, err.uri) from None
                log.info("send stream to %s broke (%s); reconnecting", err.uri, err.detail)
                if err.code != grpc.StatusCode.CANCELLED:
                    self._channel.rotate(err.uri)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            if resp.error_code == 0:
                return resp.event
            if resp.error_code != UNAVAILABLE or time.monotonic() >= deadline:
                raise _to_error(
                    grpc.StatusCode.INVALID_ARGUMENT
                    if resp.error_code == INVALID_ARGUMENT
                    else None,
                    resp.error_message,
                    self._channel.current_uri,
                )
            # The server could not commit (e.g. database blip): retry, same idempotency id.
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _unary(self, request: pb.SendEventRequest) -> pb.EventProto:
        resp = self._channel.call(lambda stub, t: stub.SendEvent(request, timeout=t))
        return resp.event

    def _send_once(self, request: pb.SendEventRequest) -> pb.SendEventResponse:
        cond = self._cond
        with cond:
            if self._closed:
                raise ServerUnavailableError("the notification client is closed")
            stream = self._stream
            if stream is None or stream.broken:
                stream = self._stream = _Stream(self._channel)
                self._start_watchdog()
            seq = next(self._seq)
            waiter = _Waiter(stream)
            self._pending[seq] = waiter
        # Only this thread uses `request`; a retry renumbers it for the new stream.
        request.seq = seq
        stream.requests.put(request)
        with cond:
            while waiter.response is None and waiter.error is None:
                if not stream.reading:
                    stream.reading = True  # nobody reads: this thread does, for everyone
                    break
                cond.wait()
            if waiter.response is not None or waiter.error is not None:
                return self._result(waiter)
        self._read_until(waiter)
        return self._result(waiter)

    @staticmethod
    def _result(waiter: _Waiter) -> pb.SendEventResponse:
        if waiter.error is not None:
            raise waiter.error
        return waiter.response  # type: ignore[return-value]

    def _read_until(self, waiter: _Waiter) -> None:
        """Read responses for every sender until `waiter` has its answer, then step down."""
        stream = waiter.stream
        cond, pending = self._cond, self._pending
        try:
            while True:
                resp = next(stream.call)
                with cond:
                    owner = pending.pop(resp.seq, None)
                    if owner is not None:
                        owner.response = resp
                    if waiter.response is not None:
                        stream.reading = False
                        cond.notify_all()
                        return
                    if owner is not None:
                        cond.notify_all()
        except (grpc.RpcError, StopIteration) as exc:
            if isinstance(exc, grpc.RpcError):
                code, detail = exc.code(), exc.details() or str(exc)
            else:
                code, detail = grpc.StatusCode.UNAVAILABLE, "the server ended the send stream"
            self._break(stream, _StreamBroken(code, detail, stream.uri))
        except BaseException as exc:
            self._break(stream, exc)
            raise

    def _break(self, stream: _Stream, error: BaseException) -> None:
        """Fail every send waiting on `stream`; they retry on a new one."""
        with self._cond:
            stream.reading = False  # a broken stream has nothing left to read
            if stream.broken:
                return
            stream.broken = True
            for seq, w in list(self._pending.items()):
                if w.stream is stream:
                    del self._pending[seq]
                    w.error = error
            self._cond.notify_all()
        stream.close()

    def _start_watchdog(self) -> None:
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="ns-send-watch", daemon=True)
            self._watchdog.start()

    def _watch(self) -> None:
        """Cancel a stream whose oldest send waited longer than rpc_timeout (server hung)."""
        while True:
            time.sleep(min(0.5, self._rpc_timeout / 4))
            with self._cond:
                if self._closed:
                    return
                limit = time.monotonic() - self._rpc_timeout
                late = {w.stream for w in self._pending.values() if w.started < limit}
            for stream in late:
                log.warning("send stream to %s timed out; reconnecting", stream.uri)
                self._break(
                    stream,
                    _StreamBroken(
                        grpc.StatusCode.DEADLINE_EXCEEDED,
                        "no answer within rpc_timeout",
                        stream.uri,
                    ),
                )

    def close(self) -> None:
        with self._cond:
            self._closed = True
            stream, self._stream = self._stream, None
        if stream is not None:
            self._break(stream, ServerUnavailableError("the notification client is closed"))


def _to_error(code: grpc.StatusCode | None, detail: str, uri: str) -> NotificationError:
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidRequestError(detail)
    if code in RETRYABLE or code == grpc.StatusCode.CANCELLED:
        return ServerUnavailableError(f"notification server {uri} is unreachable: {detail}")
    return NotificationError(f"notification server {uri} failed: {detail}")
