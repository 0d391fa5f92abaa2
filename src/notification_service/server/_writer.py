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

MAX_BATCH = 1024
# Called once per submission from the writer thread: (stored events, None) or (None, error).
Done = Callable[[list[Event] | None, BaseException | None], None]


class GroupCommitWriter:
    """One thread appends every pending event in a single transaction per round."""

    def __init__(self, storage: EventStorage, on_commit: Callable[[list[Event]], None]) -> None:
        self._storage = storage
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[tuple[list[NewEvent], Done] | None] = queue.SimpleQueue()
        # Held while a transaction runs, by the writer thread or by a caller committing inline.
        self._busy = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="ns-writer", daemon=True)
        self._thread.start()

    def submit(self, events: list[NewEvent]) -> Future[list[Event]]:
        """Queue events that must commit together; the future gets them stored."""
        fut: Future[list[Event]] = Future()

        def done(stored: list[Event] | None, exc: BaseException | None) -> None:
            if exc is None:
                fut.set_result(stored)  # type: ignore[arg-type]
            else:
                fut.set_exception(exc)

        self._queue.put((events, done))
        return fut

    def submit_callback(self, events: list[NewEvent], done: Done) -> None:
        """Like submit, without a Future: `done` runs on the writer thread after commit."""
        self._queue.put((events, done))

    def commit_or_submit(self, events: list[NewEvent], done: Done) -> None:
        """Commit on the calling thread when no transaction runs, else queue like submit.

        Saves the hand-off to the writer thread (and back) for a lone sender; whatever
        else is queued joins the same transaction, so group commit still happens.
        """
        if not self._busy.acquire(blocking=False):
            self._queue.put((events, done))
            return
        try:
            batch = [(events, done)]
            if self._drain_into(batch, len(events)):
                self._queue.put(None)  # the close marker is the writer thread's
            self._commit_locked(batch)
        finally:
            self._busy.release()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        get = self._queue.get
        while True:
            item = get()
            if item is None:
                return
            batch = [item]
            with self._busy:
                stop = self._drain_into(batch, len(item[0]))
                self._commit_locked(batch)
            if stop:
                return

    def _drain_into(self, batch: list[tuple[list[NewEvent], Done]], size: int) -> bool:
        """Add queued submissions to `batch`; True when the close marker was taken."""
        get_nowait = self._queue.get_nowait
        while size < MAX_BATCH:
            try:
                nxt = get_nowait()
            except queue.Empty:
                return False
            if nxt is None:
                return True
            batch.append(nxt)
            size += len(nxt[0])
        return False

    def _commit_locked(self, batch: list[tuple[list[NewEvent], Done]]) -> None:
        if len(batch) == 1:
            events = batch[0][0]
        else:
            events = [e for evs, _ in batch for e in evs]
        try:
            stored = self._storage.add_events(events)
        except Exception as exc:  # noqa: BLE001 - every waiter must hear about it
            log.exception("failed to store %d requests", len(batch))
            for _, done in batch:
                _call(done, None, exc)
            return
        try:
            self._on_commit(stored)
        except Exception:  # noqa: BLE001 - committed: the senders must hear so regardless
            log.exception("post-commit notification failed")
        if len(batch) == 1:
            _call(batch[0][1], stored, None)
            return
        start = 0
        for evs, done in batch:
            _call(done, stored[start : start + len(evs)], None)
            start += len(evs)


def _call(done: Done, stored: list[Event] | None, exc: BaseException | None) -> None:
    try:
        done(stored, exc)
    except Exception:  # noqa: BLE001 - one bad callback must not stop the writer
        log.exception("commit callback failed")
