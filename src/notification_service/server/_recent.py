"""The events this server committed last, kept in memory in offset order.

Listen streams match new events against their filter here instead of querying the
database on every commit: a listener whose filter skips almost everything (the AIFlow
scheduler's) then costs the sender next to nothing. Only a contiguous run of offsets is
kept; events another server committed (HA) leave a gap, and a stream whose range is not
all here reads the database as before.
"""

from __future__ import annotations

import threading

from notification_service.model import Event


def _size(event: Event) -> int:
    return 200 + len(event.key) + len(event.value or "") + len(event.context or "")


class RecentEvents:
    def __init__(self, max_events: int = 10_000, max_bytes: int = 8 << 20) -> None:
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._events: list[Event] = []  # offsets first .. first + len - 1, dense
        self._bytes = 0

    def add(self, events: list[Event]) -> None:
        """Events just committed (idempotent repeats, with older offsets, are skipped)."""
        with self._lock:
            for event in sorted(events, key=lambda e: e.offset or 0):
                offset = event.offset or 0
                last = self._events[-1].offset or 0 if self._events else None
                if last is not None and offset <= last:
                    continue
                if last is not None and offset != last + 1:
                    self._events.clear()  # a gap: someone else committed in between
                    self._bytes = 0
                self._events.append(event)
                self._bytes += _size(event)
            self._trim()

    def _trim(self) -> None:
        if len(self._events) <= self._max_events and self._bytes <= self._max_bytes:
            return
        # Keep the newest three quarters of either limit, so trimming is rare.
        keep_events, keep_bytes = self._max_events * 3 // 4, self._max_bytes * 3 // 4
        kept = size = 0
        for event in reversed(self._events):
            grown = size + _size(event)
            if kept >= keep_events or grown > keep_bytes:
                break
            kept, size = kept + 1, grown
        del self._events[: len(self._events) - kept]
        self._bytes = size

    def between(self, after: int, upto: int) -> list[Event] | None:
        """The events with after < offset <= upto, None unless all of them are here."""
        with self._lock:
            if not self._events:
                return None
            first = self._events[0].offset or 0
            last = self._events[-1].offset or 0
            if after + 1 < first or upto > last:
                return None
            return self._events[after + 1 - first : upto + 1 - first]
