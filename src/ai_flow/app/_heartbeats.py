"""Heartbeats of running tries, kept in the server's memory.

After a restart every try counts as having beaten when the server started, so a
heartbeat timeout is measured from the server's own start, never from before it. Every
server also writes a try's beats to its row at a bounded rate (`persist_due`), so the
scheduling server hears of beats that reached another server.
"""

from __future__ import annotations

import threading

from ai_flow.model.stop_reason import StopReason
from notification_service.util.clock import now

#: Seconds after its last beat that a try is forgotten.
PRUNE_HORIZON = 3600.0


class HeartbeatBook:
    def __init__(self, persist_every: float = 5.0) -> None:
        self.started = now()
        self.persist_every = persist_every
        self._lock = threading.Lock()
        self._beats: dict[tuple[int, int], float] = {}
        self._persisted: dict[tuple[int, int], float] = {}
        self._pruned_at = self.started
        self._stop_reasons: dict[tuple[int, int], StopReason] = {}

    def restart_clock(self) -> None:
        """Count timeouts from now: a server that just took over scheduling has heard
        no heartbeats of the tries its predecessor ran."""
        with self._lock:
            self.started = now()

    def beat(self, key: tuple[int, int]) -> None:
        current = now()
        with self._lock:
            self._beats[key] = current
            if current - self._pruned_at > PRUNE_HORIZON / 6:
                self._prune(current - PRUNE_HORIZON)
                self._pruned_at = current

    def _prune(self, before: float) -> None:
        # Tries that stopped beating that long ago have ended (or timed out long since):
        # the book must not grow with every try the server ever heard of.
        for key in [k for k, at in self._beats.items() if at < before]:
            self._beats.pop(key, None)
            self._persisted.pop(key, None)
            self._stop_reasons.pop(key, None)

    def persist_due(self, key: tuple[int, int]) -> bool:
        """Whether this beat should be written to the try's row (and count it written)."""
        current = now()
        with self._lock:
            if current - self._persisted.get(key, float("-inf")) < self.persist_every:
                return False
            self._persisted[key] = current
            return True

    def last(self, key: tuple[int, int]) -> float:
        """When the try last beat (epoch seconds); the server's start if not since."""
        with self._lock:
            return self._beats.get(key, self.started)

    def forget(self, key: tuple[int, int]) -> None:
        with self._lock:
            self._beats.pop(key, None)
            self._persisted.pop(key, None)
            self._stop_reasons.pop(key, None)

    def keys(self) -> list[tuple[int, int]]:
        with self._lock:
            return list(self._beats)

    def stop(self, key: tuple[int, int], reason: StopReason) -> None:
        """Tell the try, at its next heartbeat, that it must end (e.g. timed out)."""
        with self._lock:
            self._stop_reasons[key] = reason

    def stop_reason(self, key: tuple[int, int]) -> StopReason | None:
        with self._lock:
            return self._stop_reasons.get(key)
