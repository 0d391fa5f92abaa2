"""Tracks the highest committed offset and wakes listeners when it moves.

Listeners are coroutines on the server's loop, so a commit wakes them with a loop
callback, not a thread switch: with threads, every commit woke every listen stream's
thread, and the GIL hand-offs cost more than the commit itself.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class OffsetNotifier:
    """Local commits and peer hints advance it at once; a poller catches other writers.

    `advance` and `wait_beyond` belong to the loop thread; the poller thread hands its
    readings over with `advance_threadsafe`.
    """

    def __init__(
        self,
        read_latest: Callable[[], int],
        loop: asyncio.AbstractEventLoop,
        poll_interval: float = 0.1,
    ) -> None:
        self._read_latest = read_latest
        self._loop = loop
        self._poll_interval = poll_interval
        self._latest = read_latest()
        self._waiters: set[asyncio.Future[None]] = set()
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
        if offset > self._latest:
            self._latest = offset
            self._wake()

    def advance_threadsafe(self, offset: int) -> None:
        if offset > self._latest and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self.advance, offset)
            except RuntimeError:
                pass  # the loop closed meanwhile: nobody is listening

    async def wait_beyond(self, offset: int, timeout: float) -> int:
        """Wait until the latest offset exceeds `offset`, the notifier stops, or
        `timeout` passes."""
        if self._latest > offset or self.stopped:
            return self._latest
        fut = self._loop.create_future()
        self._waiters.add(fut)
        timer = self._loop.call_later(timeout, _settle, fut)
        try:
            await fut
        finally:
            timer.cancel()
            self._waiters.discard(fut)
        return self._latest

    def stop(self) -> None:
        """From any thread: stop polling and release every waiting listener."""
        self._stopped.set()
        if not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._wake)
            except RuntimeError:
                pass

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for fut in waiters:
            _settle(fut)

    def _poll(self) -> None:
        while not self._stopped.wait(self._poll_interval):
            try:
                self.advance_threadsafe(self._read_latest())
            except Exception:  # noqa: BLE001 - a blip must not end polling
                log.warning("could not read the latest offset", exc_info=True)


def _settle(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
