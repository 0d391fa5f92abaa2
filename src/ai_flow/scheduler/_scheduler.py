"""The scheduler loop: events from the committed offset, one transaction per batch."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.metadata import offsets, read_session, write_session
from ai_flow.scheduler._processor import EventProcessor
from notification_service.client import ListenerProcessor, NotificationClient
from notification_service.model import Event

log = logging.getLogger(__name__)

MAX_BATCH = 500


class _Enqueue(ListenerProcessor):
    def __init__(self, sink: queue.SimpleQueue[Event]) -> None:
        self._sink = sink

    def process(self, events: list[Event]) -> None:
        for event in events:
            self._sink.put(event)


class Scheduler:
    """Consumes the notification stream and hands commands to the executor.

    `lock` serialises scheduling writes with the API's (start/stop requests), so a
    decision such as "start unless alive" never races another writer in this server.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        processor: EventProcessor,
        notification_uri: str,
        lock: threading.Lock,
        on_committed: Callable[[], None],
    ) -> None:
        self._factory = factory
        self._processor = processor
        self._notification_uri = notification_uri
        self._lock = lock
        self._on_committed = on_committed
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._client: NotificationClient | None = None
        self._thread = threading.Thread(target=self._run, name="af-scheduler", daemon=True)
        self.committed_offset = 0

    def start(self) -> None:
        with read_session(self._factory) as session:
            self.committed_offset = offsets.get_offset(session)
        self._client = NotificationClient(self._notification_uri, retry_seconds=3600)
        # Read every key: which keys matter changes as executions start and stop.
        self._client.register_listener(_Enqueue(self._queue), begin_offset=self.committed_offset)
        self._thread.start()
        log.info("scheduler started from event offset %s", self.committed_offset)

    def stop(self) -> None:
        self._stopped.set()
        if self._client is not None:
            self._client.close()
        self._thread.join(timeout=10)

    def _next_batch(self) -> list[Event]:
        try:
            first = self._queue.get(timeout=0.5)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        # A resumed stream may repeat what is already committed.
        return [e for e in batch if e.offset > self.committed_offset]

    def _run(self) -> None:
        while not self._stopped.is_set():
            batch = self._next_batch()
            if batch:
                self._commit(batch)

    def _commit(self, batch: list[Event]) -> None:
        delay = 0.1
        while not self._stopped.is_set():
            try:
                with self._lock, write_session(self._factory) as session:
                    stored = offsets.get_offset(session, for_update=True)
                    todo = [e for e in batch if e.offset > stored]
                    if todo:
                        self._processor.process(session, todo)
                        offsets.set_offset(session, todo[-1].offset)
                self.committed_offset = max(stored, batch[-1].offset)
                self._on_committed()
                return
            except Exception:  # noqa: BLE001 - retry: skipping would lose the batch
                log.exception("scheduling a batch of %d events failed; retrying", len(batch))
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
