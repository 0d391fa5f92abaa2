"""Group commit on the server's event loop: sends that arrive together share a transaction."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from notification_service.model import Event
from notification_service.server._metrics import ServerStats
from notification_service.storage import EventStorage, NewEvent

log = logging.getLogger(__name__)

MAX_BATCH = 1024


class GroupCommitWriter:
    """Collects the sends of one turn of the loop and commits them in one transaction.

    `inline` commits on the loop itself: an SQLite commit (~40 µs) costs less than handing
    it to a thread and back. A networked database commits on one writer thread instead,
    so a slow commit never stalls the loop; what arrives meanwhile forms the next batch.
    """

    def __init__(
        self,
        storage: EventStorage,
        on_commit: Callable[[list[Event]], None],
        loop: asyncio.AbstractEventLoop,
        inline: bool,
        stats: ServerStats | None = None,
    ) -> None:
        self._storage = storage
        self._stats = stats or ServerStats()
        self._on_commit = on_commit
        self._loop = loop
        self._pending: list[tuple[list[NewEvent], asyncio.Future[list[Event]]]] = []
        self._scheduled = False
        self._committing = False
        self._thread = (
            None if inline else ThreadPoolExecutor(max_workers=1, thread_name_prefix="ns-writer")
        )

    def submit(self, events: list[NewEvent]) -> asyncio.Future[list[Event]]:
        """Queue events that must commit together (loop thread only); the future gets
        them stored, with offsets."""
        fut: asyncio.Future[list[Event]] = self._loop.create_future()
        self._pending.append((events, fut))
        if not self._scheduled and not self._committing:
            self._scheduled = True
            # After the callbacks already queued: the sends read in this turn join in.
            self._loop.call_soon(self._flush)
        return fut

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)

    def _flush(self) -> None:
        self._scheduled = False
        if not self._pending or self._committing:
            return  # a commit on the thread is running: its end schedules the next
        batch = self._take()
        if self._thread is None:
            self._finish(batch, *_commit(self._storage, batch))
            return
        self._committing = True
        done = self._loop.run_in_executor(self._thread, _commit, self._storage, batch)
        done.add_done_callback(lambda f: self._after_thread(batch, f))

    def _after_thread(self, batch: list, fut: asyncio.Future) -> None:
        self._committing = False
        self._finish(batch, *fut.result())
        if self._pending and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)

    def _take(self) -> list[tuple[list[NewEvent], asyncio.Future[list[Event]]]]:
        size, cut = 0, 0
        for events, _ in self._pending:
            size += len(events)
            cut += 1
            if size >= MAX_BATCH:
                break
        batch, self._pending = self._pending[:cut], self._pending[cut:]
        if self._pending and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)
        return batch

    def _finish(
        self,
        batch: list[tuple[list[NewEvent], asyncio.Future[list[Event]]]],
        stored: list[Event] | None,
        exc: BaseException | None,
        seconds: float,
    ) -> None:
        if exc is not None:
            self._stats.append_failures += 1
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        assert stored is not None
        self._stats.committed(len(stored), seconds)
        try:
            self._on_commit(stored)
        except Exception:  # noqa: BLE001 - committed: the senders must hear so regardless
            log.exception("post-commit notification failed")
        start = 0
        for events, fut in batch:
            if not fut.done():  # the sender may have gone (cancelled RPC)
                fut.set_result(stored[start : start + len(events)])
            start += len(events)


def _commit(
    storage: EventStorage, batch: list[tuple[list[NewEvent], asyncio.Future[list[Event]]]]
) -> tuple[list[Event] | None, BaseException | None, float]:
    events = batch[0][0] if len(batch) == 1 else [e for evs, _ in batch for e in evs]
    began = time.perf_counter()
    try:
        return storage.add_events(events), None, time.perf_counter() - began
    except Exception as exc:  # noqa: BLE001 - every waiter must hear about it
        log.exception("failed to store %d requests", len(batch))
        return None, exc, time.perf_counter() - began
