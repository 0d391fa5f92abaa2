"""Tracks the highest committed offset and wakes listeners when it moves."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class OffsetNotifier:
    """Local commits and peer hints advance it at once; a poller catches other writers."""

    def __init__(self, read_latest: Callable[[], int], poll_interval: float = 0.1) -> None:
        self._read_latest = read_latest
        self._poll_interval = poll_interval
        self._cond = threading.Condition()
        self._latest = read_latest()
        self._stopped = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="ns-offset-poller", daemon=True)
        self._poller.start()

    @property
    def latest(self) -> int:
        return self._latest

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def advance(self, offset: int) -> None:
        with self._cond:
            if offset > self._latest:
                self._latest = offset
                self._cond.notify_all()

    def wait_beyond(self, offset: int, timeout: float) -> int:
        """Block until the latest offset exceeds `offset` or `timeout` passes."""
        with self._cond:
            self._cond.wait_for(lambda: self._latest > offset or self._stopped.is_set(), timeout)
            return self._latest

    def stop(self) -> None:
        self._stopped.set()
        with self._cond:
            self._cond.notify_all()

    def _poll(self) -> None:
        while not self._stopped.wait(self._poll_interval):
            try:
                self.advance(self._read_latest())
            except Exception:  # noqa: BLE001 - a blip must not end polling
                log.warning("could not read the latest offset", exc_info=True)
