"""Run user conditions with a time limit, off the scheduler's own thread.

A condition that raises or hangs is reported to the caller and never blocks the
scheduler: a stuck worker thread is abandoned and a fresh one takes its place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class ConditionError(Exception):
    """A user condition raised or timed out; str() is the one-line reason."""


class GuardedEvaluator:
    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._pool = self._new_pool()

    @staticmethod
    def _new_pool() -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="af-condition")

    def run(self, fn: Callable[[], T]) -> T:
        future = self._pool.submit(fn)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            log.error("a condition did not finish within %.1fs; abandoning it", self.timeout)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            raise ConditionError(f"condition timed out after {self.timeout:.1f}s") from None
        except Exception as exc:  # noqa: BLE001 - user code may raise anything
            raise ConditionError(f"condition raised {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
