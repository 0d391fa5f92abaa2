"""Group commit: concurrent sends share one transaction instead of queueing for the lock."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from notification_service.model import Event
from notification_service.storage import EventStorage, NewEvent

log = logging.getLogger(__name__)

MAX_BATCH = 512


class GroupCommitWriter:
    """One thread appends every pending event in a single transaction per round."""

    def __init__(self, storage: EventStorage, on_commit: Callable[[int], None]) -> None:
        self._storage = storage
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[tuple[list[NewEvent], Future] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ns-writer", daemon=True)
        self._thread.start()

    def submit(self, events: list[NewEvent]) -> Future[list[Event]]:
        """Queue events that must commit together; the future gets them stored."""
        fut: Future[list[Event]] = Future()
        self._queue.put((events, fut))
        return fut

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while sum(len(events) for events, _ in batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._commit(batch)
                    return
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch: list[tuple[list[NewEvent], Future]]) -> None:
        try:
            stored = self._storage.add_events([e for events, _ in batch for e in events])
        except Exception as exc:  # noqa: BLE001 - every waiter must hear about it
            log.exception("failed to store %d requests", len(batch))
            for _, fut in batch:
                fut.set_exception(exc)
            return
        self._on_commit(max(e.offset for e in stored))
        start = 0
        for events, fut in batch:
            fut.set_result(stored[start : start + len(events)])
            start += len(events)
