"""Heartbeats of running tries, kept in the server's memory.

After a restart every try counts as having beaten when the server started, so a
heartbeat timeout is measured from the server's own start, never from before it.
"""

from __future__ import annotations

import threading

from ai_flow.model.stop_reason import StopReason
from notification_service.util.clock import now


class HeartbeatBook:
    def __init__(self) -> None:
        self.started = now()
        self._lock = threading.Lock()
        self._beats: dict[tuple[int, int], float] = {}
        self._stop_reasons: dict[tuple[int, int], StopReason] = {}

    def restart_clock(self) -> None:
        """Count timeouts from now: a server that just took over scheduling has heard
        no heartbeats of the tries its predecessor ran."""
        with self._lock:
            self.started = now()

    def beat(self, key: tuple[int, int]) -> None:
        with self._lock:
            self._beats[key] = now()

    def last(self, key: tuple[int, int]) -> float:
        """When the try last beat (epoch seconds); the server's start if not since."""
        with self._lock:
            return self._beats.get(key, self.started)

    def forget(self, key: tuple[int, int]) -> None:
        with self._lock:
            self._beats.pop(key, None)
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
