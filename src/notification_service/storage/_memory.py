"""An in-process storage for tests and embedding; nothing survives the process."""

from __future__ import annotations

import threading

from notification_service.model import Event, EventFilter
from notification_service.storage._interface import EventStorage, Member, NewEvent
from notification_service.util.clock import now_ms


class MemoryEventStorage(EventStorage):
    def __init__(self) -> None:
        self._events: list[Event] = []
        self._by_id: dict[str, Event] = {}
        self._members: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def commits_in_process(self) -> bool:
        return True

    def add_events(self, events: list[NewEvent]) -> list[Event]:
        out = []
        with self._lock:
            for new in events:
                if new.idempotency_id and new.idempotency_id in self._by_id:
                    out.append(self._by_id[new.idempotency_id])
                    continue
                stored = Event(
                    key=new.key,
                    value=new.value,
                    namespace=new.namespace,
                    sender=new.sender,
                    context=new.context,
                    offset=len(self._events) + 1,
                    create_time=now_ms(),
                )
                self._events.append(stored)
                if new.idempotency_id:
                    self._by_id[new.idempotency_id] = stored
                out.append(stored)
        return out

    def list_events(self, flt: EventFilter, limit: int) -> list[Event]:
        start = flt.begin_offset or 0
        with self._lock:
            candidates = self._events[start:]
        result = []
        for event in candidates:
            if flt.matches(event):
                result.append(event)
                if len(result) >= limit:
                    break
        return result

    def count_events(self, flt: EventFilter) -> dict[str | None, int]:
        counts: dict[str | None, int] = {}
        with self._lock:
            for event in self._events:
                if flt.matches(event):
                    counts[event.sender] = counts.get(event.sender, 0) + 1
        return counts

    def latest_offset(self) -> int:
        # Under the lock: an append in progress must not show half its batch.
        with self._lock:
            return len(self._events)

    def time_to_offset(self, timestamp_ms: int) -> int:
        with self._lock:
            found = [
                e.offset
                for e in self._events
                if e.offset is not None and (e.create_time or 0) <= timestamp_ms
            ]
        return max(found, default=0)

    def heartbeat_member(self, server_uri: str, now_ms: int) -> None:
        with self._lock:
            self._members[server_uri] = now_ms

    def list_members(self, alive_since_ms: int) -> list[Member]:
        with self._lock:
            return [Member(u, t) for u, t in self._members.items() if t >= alive_since_ms]

    def remove_member(self, server_uri: str) -> None:
        with self._lock:
            self._members.pop(server_uri, None)
