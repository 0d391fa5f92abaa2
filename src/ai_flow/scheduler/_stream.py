"""The scheduler's event stream: a filtered listen stream from the committed offset.

The notification server filters on the scheduler's interest (`_interest.py`) and, since
the listener asks for it, also says how far its filter skipped (progress), so the
scheduler can move its offset past events nobody expects without reading them. When the
interest changes, the stream is opened again from the committed offset: what the old
filter skipped since then comes through the new one.
"""

from __future__ import annotations

import queue
from typing import NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from ai_flow.metadata import read_session
from ai_flow.scheduler._interest import Interest, interest
from ai_flow.scheduler._snapshots import SnapshotStore
from notification_service.client import ListenerProcessor, NotificationClient, NotificationError
from notification_service.model import Event


class StreamRefusedError(Exception):
    """The notification server refused the scheduler's listener (its token, say)."""


class _Progress(NamedTuple):
    offset: int


class _Refused(NamedTuple):
    reason: str


class _Enqueue(ListenerProcessor):
    def __init__(self, sink: queue.SimpleQueue[Event | _Progress | _Refused]) -> None:
        self._sink = sink

    def process(self, events: list[Event]) -> None:
        for event in events:
            self._sink.put(event)

    def progress(self, offset: int) -> None:
        self._sink.put(_Progress(offset))

    def failed(self, error: NotificationError) -> None:
        self._sink.put(_Refused(str(error)))


class EventStream:
    def __init__(
        self,
        factory: sessionmaker[Session],
        snapshots: SnapshotStore,
        notification_uri: str,
        token: str | None = None,
    ) -> None:
        self._factory = factory
        self._snapshots = snapshots
        self._client = NotificationClient(notification_uri, retry_seconds=3600, token=token)
        self._queue: queue.SimpleQueue[Event | _Progress | _Refused] = queue.SimpleQueue()
        self._listener: str | None = None
        self.interest = Interest(-1, None)

    def open(self, after: int) -> None:
        """(Re)open the stream on the current interest, from after offset `after`."""
        if self._listener is not None:
            self._client.unregister_listener(self._listener)  # its thread is gone after this
            self._listener = None
            while not self._queue.empty():
                self._queue.get_nowait()
        self.refresh()
        keys = self.interest.keys
        self._listener = self._client.register_listener(
            _Enqueue(self._queue),
            event_keys=None if keys is None else sorted(keys),
            key_prefixes=self.interest.prefixes,
            begin_offset=after,
        )

    def refresh(self) -> None:
        """Read the interest again (what `open` filters on)."""
        with read_session(self._factory) as session:
            self.interest = interest(session, self._snapshots)

    def next_batch(self, limit: int, timeout: float) -> tuple[list[Event], int | None]:
        """Up to `limit` events in offset order, then the progress offset that followed
        them (None if there was none before the batch ended)."""
        batch: list[Event] = []
        try:
            item = self._queue.get(timeout=timeout)
            while True:
                if isinstance(item, _Progress):
                    return batch, item.offset
                if isinstance(item, _Refused):
                    if batch:  # what came before the refusal is applied first
                        self._queue.put(item)
                        return batch, None
                    raise StreamRefusedError(item.reason)
                batch.append(item)
                if len(batch) >= limit:
                    return batch, None
                item = self._queue.get_nowait()
        except queue.Empty:
            return batch, None

    def close(self) -> None:
        self._client.close()
