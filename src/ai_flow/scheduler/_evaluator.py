"""Run user conditions with a time limit, off the scheduler's own thread.

A condition that raises (anything, even SystemExit) or hangs is reported to the caller
and never blocks the scheduler: a stuck worker thread is abandoned and a fresh one takes
its place. Workers are daemon threads, so an abandoned one never keeps the server
process from exiting.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class ConditionError(Exception):
    """A user condition raised or timed out; str() is the one-line reason."""


class _Worker:
    """One daemon thread running submitted calls in order."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="af-condition", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], T]) -> Future:
        future: Future = Future()
        self._jobs.put((fn, future))
        return future

    def close(self) -> None:
        self._jobs.put(None)

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)


class GuardedEvaluator:
    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._worker: _Worker | None = None

    def run(self, fn: Callable[[], T]) -> T:
        if self._worker is None:
            self._worker = _Worker()
        future = self._worker.submit(fn)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            log.error("a condition did not finish within %.1fs; abandoning it", self.timeout)
            self._worker.close()  # it exits once (if ever) the stuck call returns
            self._worker = None
            raise ConditionError(f"condition timed out after {self.timeout:.1f}s") from None
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything
            raise ConditionError(f"condition raised {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None
