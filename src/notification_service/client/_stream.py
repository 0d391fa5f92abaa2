"""One long-lived SendEventStream per client, shared by every thread that sends events.

The streams are asyncio gRPC on the process's client loop (`util.aio`), which nobody
runs in the background: a thread that waits for an answer runs the loop itself until
its answer is in. A send then costs no thread hand-off (sync gRPC's stream costs two,
most of its CPU). Every stream has a reader task, so whichever thread runs the loop
moves every stream on; the other waiting threads sleep until their answer is in or the
loop is free, and then one of them runs it.

Each send carries a sequence number the server echoes. When a stream breaks, every
waiting send is retried on a new stream, after failover, with the same idempotency id,
so the server stores nothing twice. A thread that is itself inside a running asyncio
loop cannot run ours; it sends with a unary call instead.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections import deque

import grpc
import grpc.aio

from notification_service.client._channel import OPTIONS, RETRYABLE, FailoverChannel
from notification_service.client._errors import (
    STATUS_CODES,
    NotificationError,
    ServerUnavailableError,
    error_for,
)
from notification_service.proto import notification_service_pb2 as pb
from notification_service.proto import notification_service_pb2_grpc as pb_grpc
from notification_service.util.aio import client_loop

log = logging.getLogger(__name__)

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]
# A stream that broke under us (server killed, channel rotated) is retried like UNAVAILABLE.
STREAM_RETRYABLE = (*RETRYABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN)
# The server refused the token: no other server or stream will take it.
REFUSED = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


class _LoopTurns:
    """Who runs the client loop now; shared by every sender of the process."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.busy = False  # a thread is inside run_until_complete
        self.sleepers = 0  # threads waiting for an answer without running the loop


_TURNS = _LoopTurns()


class _Waiter:
    __slots__ = ("response", "error", "stream", "started", "done")

    def __init__(self, stream: _Stream, done: asyncio.Future[None]) -> None:
        self.response: pb.SendEventResponse | None = None
        self.error: BaseException | None = None
        self.stream = stream
        self.started = time.monotonic()
        self.done = done  # resolved on the loop once answered

    @property
    def answered(self) -> bool:
        return self.response is not None or self.error is not None


class _StreamBroken(Exception):
    def __init__(self, code: grpc.StatusCode | None, detail: str, uri: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.uri = uri


class _Stream:
    """One SendEventStream call; everything but `outbox` is touched on the loop only."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.outbox: deque[pb.SendEventRequest] = deque()
        self.broken = False
        self.channel: grpc.aio.Channel | None = None
        self.call: grpc.aio.StreamStreamCall | None = None
        self.writing = False
        self.tasks: set[asyncio.Task[None]] = set()  # held so they are not collected

    def spawn(self, coro) -> None:  # noqa: ANN001 - a coroutine
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def shut(self) -> None:
        """On the loop: cancel the call and close the channel."""
        if self.call is not None:
            self.call.cancel()
        if self.channel is not None:
            channel, self.channel = self.channel, None
            self.spawn(channel.close())


class EventSender:
    """Sends single events over a shared stream; falls back to unary SendEvent if needed."""

    def __init__(self, channel: FailoverChannel, rpc_timeout: float, retry_seconds: float):
        self._channel = channel
        self._rpc_timeout = rpc_timeout
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._stream: _Stream | None = None
        self._pending: dict[int, _Waiter] = {}
        self._seq = itertools.count(1)
        self._unary_only = False
        self._closed = False
        self._watchdog: threading.Thread | None = None

    def send(self, request: pb.SendEventRequest) -> pb.EventProto:
        if self._unary_only or asyncio._get_running_loop() is not None:
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
                # A commit that kept failing is the server's failure, not unreachable.
                code = None if resp.error_code == UNAVAILABLE else STATUS_CODES.get(resp.error_code)
                raise _to_error(
                    code,
                    resp.error_message,
                    self._channel.current_uri,
                )
            # The server could not commit (e.g. database blip): retry, same idempotency id.
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _unary(self, request: pb.SendEventRequest) -> pb.EventProto:
        resp = self._channel.call(lambda stub, t, m: stub.SendEvent(request, timeout=t, metadata=m))
        return resp.event

    def _send_once(self, request: pb.SendEventRequest) -> pb.SendEventResponse:
        loop = client_loop()
        with self._lock:
            if self._closed:
                raise ServerUnavailableError("the notification client is closed")
            stream = self._stream
            if stream is None or stream.broken:
                stream = self._stream = _Stream(self._channel.usable_uri())
                self._start_watchdog()
            seq = next(self._seq)
            waiter = _Waiter(stream, loop.create_future())
            self._pending[seq] = waiter
            # Only this thread uses `request`; a retry renumbers it for the new stream.
            request.seq = seq
            stream.outbox.append(request)
        turns = _TURNS
        with turns.cond:
            drive = not turns.busy
            turns.busy = True
        if drive:
            loop.call_soon(self._flush, stream)  # nobody runs the loop: this thread will
        else:
            loop.call_soon_threadsafe(self._flush, stream)
        while True:
            if drive:
                try:
                    loop.run_until_complete(waiter.done)
                except BaseException as exc:
                    # Interrupted (e.g. KeyboardInterrupt) mid-turn: the stream may be
                    # half-written; its sends retry on a fresh one.
                    self._break(stream, exc)
                    raise
                finally:
                    with turns.cond:
                        turns.busy = False
                        if turns.sleepers:
                            turns.cond.notify_all()
                return self._result(waiter)
            with turns.cond:
                turns.sleepers += 1
                while not waiter.answered and turns.busy:
                    turns.cond.wait()
                turns.sleepers -= 1
                if waiter.answered:
                    return self._result(waiter)
                turns.busy = drive = True  # the loop is free: run it until answered

    @staticmethod
    def _result(waiter: _Waiter) -> pb.SendEventResponse:
        if waiter.error is not None:
            raise waiter.error
        return waiter.response  # type: ignore[return-value]

    def _flush(self, stream: _Stream) -> None:
        """On the loop: open the stream if new, and write what is queued."""
        if stream.broken:
            return
        if stream.call is None:
            stream.channel = grpc.aio.insecure_channel(stream.uri, options=OPTIONS)
            stub = pb_grpc.NotificationServiceStub(stream.channel)
            stream.call = stub.SendEventStream(metadata=self._channel.metadata)
            stream.spawn(self._read(stream))
        if not stream.writing and stream.outbox:
            stream.writing = True
            stream.spawn(self._write(stream))

    async def _write(self, stream: _Stream) -> None:
        try:
            while stream.outbox and not stream.broken:
                await stream.call.write(stream.outbox.popleft())  # type: ignore[union-attr]
        except (grpc.RpcError, asyncio.InvalidStateError, asyncio.CancelledError) as exc:
            # The call is over; whatever the status says, a write that could not go out
            # is safe to retry elsewhere (sends are idempotent), unless the server
            # refused the token: then no retry can succeed.
            refused = await _refusal(stream, exc)
            detail = "the send stream broke while writing"
            self._break(
                stream, refused or _StreamBroken(grpc.StatusCode.UNAVAILABLE, detail, stream.uri)
            )
        finally:
            stream.writing = False

    async def _read(self, stream: _Stream) -> None:
        """Hand every answer on the stream to its sender, until the stream ends."""
        call, pending = stream.call, self._pending
        assert call is not None
        try:
            while True:
                resp = await call.read()
                if resp is grpc.aio.EOF:
                    raise _StreamBroken(
                        grpc.StatusCode.UNAVAILABLE, "the server ended the send stream", stream.uri
                    )
                with self._lock:
                    owner = pending.pop(resp.seq, None)
                if owner is not None:
                    owner.response = resp
                    _settle(owner)
        except _StreamBroken as exc:
            self._break(stream, exc)
        except grpc.RpcError as exc:
            self._break(stream, _StreamBroken(exc.code(), exc.details() or str(exc), stream.uri))
        except asyncio.CancelledError:
            # The call was cancelled: by _break, which already failed its sends, or
            # by the loop going away with the process.
            self._break(
                stream,
                _StreamBroken(grpc.StatusCode.CANCELLED, "send stream cancelled", stream.uri),
            )

    def _break(self, stream: _Stream, error: BaseException) -> None:
        """From any thread: fail every send waiting on `stream`; they retry on a new one."""
        with self._lock:
            if stream.broken:
                return
            stream.broken = True
            failed = [w for w in self._pending.values() if w.stream is stream]
            for seq in [s for s, w in self._pending.items() if w.stream is stream]:
                del self._pending[seq]
        for w in failed:
            w.error = error
        loop = client_loop()
        if asyncio._get_running_loop() is loop:
            _fail(stream, failed)
        else:
            loop.call_soon_threadsafe(_fail, stream, failed)  # runs when the loop next runs
            with _TURNS.cond:
                _TURNS.cond.notify_all()  # sleepers whose send failed return now

    def _start_watchdog(self) -> None:
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="ns-send-watch", daemon=True)
            self._watchdog.start()

    def _watch(self) -> None:
        """Break a stream whose oldest send waited longer than rpc_timeout (server hung)."""
        while True:
            time.sleep(min(0.5, self._rpc_timeout / 4))
            with self._lock:
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
        with self._lock:
            self._closed = True
            stream, self._stream = self._stream, None
        if stream is not None:
            self._break(stream, ServerUnavailableError("the notification client is closed"))


async def _refusal(stream: _Stream, exc: BaseException) -> _StreamBroken | None:
    """The auth refusal that ended the stream's call, if that is what ended it."""
    call = stream.call
    if isinstance(exc, grpc.RpcError):
        code, detail = exc.code(), exc.details()
    elif isinstance(exc, asyncio.InvalidStateError) and call is not None and call.done():
        code, detail = await call.code(), await call.details()
    else:
        return None
    if code not in REFUSED:
        return None
    return _StreamBroken(code, detail or "", stream.uri)


def _fail(stream: _Stream, failed: list[_Waiter]) -> None:
    """On the loop: wake the failed sends and shut the stream."""
    for w in failed:
        _settle(w)
    stream.shut()
    with _TURNS.cond:
        _TURNS.cond.notify_all()


def _settle(waiter: _Waiter) -> None:
    """On the loop: the answer is in; wake whoever waits for it."""
    if not waiter.done.done():
        waiter.done.set_result(None)
    turns = _TURNS
    if turns.sleepers:
        with turns.cond:
            turns.cond.notify_all()


def _to_error(code: grpc.StatusCode | None, detail: str, uri: str) -> NotificationError:
    if code == grpc.StatusCode.CANCELLED:
        return ServerUnavailableError(f"notification server {uri} is unreachable: {detail}")
    return error_for(code, detail, uri)
