"""Live events as Server-Sent Events whose `id:` is the event offset.

A browser that reconnects sends the last id it saw as `Last-Event-ID`; the stream
resumes after it with nothing lost or repeated. The notification server's listen stream
already does "subscribe, then backfill": it starts after the given offset, sends what is
stored, then what arrives, in offset order and without a gap between the two. A listener
that resumes after a failover may resend a batch, so events at or below the last offset
sent are dropped here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from ai_flow.rest._context import RestContext
from notification_service.client import Event, ListenerProcessor, NotificationError

# Batches waiting for a slow client; beyond this the listener waits (and with it the
# gRPC stream), so a reader that stops reading holds a bounded amount of memory.
_QUEUED_BATCHES = 16
_TICK = 0.5  # seconds between checks that the server is not stopping
PING_SECONDS = 15


class _ToQueue(ListenerProcessor):
    """Hands batches from the listener's thread to the stream's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[list[Event]]):
        self._loop = loop
        self._queue = queue
        self.closed = threading.Event()
        self.error: NotificationError | None = None

    def process(self, events: list[Event]) -> None:
        try:
            future = asyncio.run_coroutine_threadsafe(self._queue.put(events), self._loop)
        except RuntimeError:  # the loop is gone: the stream ended
            return
        while not self.closed.is_set():
            try:
                future.result(timeout=_TICK)
                return
            except concurrent.futures.TimeoutError:
                continue
        future.cancel()

    def failed(self, error: NotificationError) -> None:
        # The notification server refused the listener (its token, say): the stream
        # ends with the reason instead of going quiet.
        self.error = error
        self.process([])


def sse_event(event: Event) -> dict[str, Any]:
    return {"id": str(event.offset), "event": "event", "data": json.dumps(event.to_dict())}


async def live_events(
    ctx: RestContext,
    after: int,
    keys: list[str],
    key_prefixes: list[str],
    namespace: str | None,
    keep: Callable[[Event], bool],
) -> AsyncIterator[dict[str, Any]]:
    """Events after offset `after` matching the filter, until the client hangs up or
    the server stops."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[list[Event]] = asyncio.Queue(maxsize=_QUEUED_BATCHES)
    processor = _ToQueue(loop, queue)
    listener = await run_in_threadpool(
        lambda: ctx.events.register_listener(
            processor,
            event_keys=keys or None,
            begin_offset=after,
            namespace=namespace,
            key_prefixes=key_prefixes or None,
        )
    )
    last = after
    try:
        while not ctx.closing.is_set():
            try:
                batch = await asyncio.wait_for(queue.get(), timeout=_TICK)
            except asyncio.TimeoutError:
                continue
            if processor.error is not None:
                yield {"event": "error", "data": str(processor.error)}
                return
            for event in batch:
                if event.offset is None or event.offset <= last:
                    continue
                last = event.offset
                if keep(event):
                    yield sse_event(event)
    finally:
        processor.closed.set()
        await run_in_threadpool(ctx.events.unregister_listener, listener)
