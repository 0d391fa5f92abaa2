"""MemoryTaskExecutor: an executor that runs nothing, for unit tests of the scheduler and
the command runner. A test plays the task: it reads `submitted`, and ends a handle with
`finish` (or lets `cancel` end it)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ai_flow.executor._interface import HandleState, TaskExecutor
from ai_flow.runtime import TaskSpec


class MemoryTaskExecutor(TaskExecutor):
    """Takes (and ignores) the keyword arguments every executor is built with, so
    ``task_executor: ai_flow.executor:MemoryTaskExecutor`` selects it too."""

    def __init__(self, parallelism: int | None = None, **_ignored: object) -> None:
        self.parallelism = parallelism
        self._lock = threading.Lock()
        self.submitted: list[tuple[str, TaskSpec]] = []
        self.cancelled: list[tuple[str, float]] = []
        self._alive: dict[str, bool] = {}
        self._details: dict[str, str] = {}
        self._by_key: dict[tuple[int, int], str] = {}

    def submit(self, spec: TaskSpec) -> str:
        with self._lock:
            handle = self._by_key.get(spec.key)
            if handle is not None and self._alive[handle]:
                return handle  # the same try again: the same (still running) process
            handle = f"mem:{len(self.submitted) + 1}"
            self.submitted.append((handle, spec))
            self._alive[handle] = True
            self._by_key[spec.key] = handle
            return handle

    def finish(self, handle: str, detail: str = "exited") -> None:
        with self._lock:
            self._alive[handle] = False
            self._details[handle] = detail

    def cancel(self, handle: str, grace: float) -> None:
        with self._lock:
            self.cancelled.append((handle, grace))
            if self._alive.get(handle):
                self._alive[handle] = False
                self._details[handle] = "cancelled"

    def poll(self, handles: Sequence[str]) -> dict[str, HandleState]:
        with self._lock:
            return {
                h: HandleState(self._alive.get(h, False), self._details.get(h, "")) for h in handles
            }

    def adopt(self) -> list[str]:
        with self._lock:
            return [h for h, alive in self._alive.items() if alive]

    def capacity(self) -> int | None:
        if self.parallelism is None:
            return None
        with self._lock:
            return max(0, self.parallelism - sum(self._alive.values()))

    def spec_of(self, handle: str) -> TaskSpec:
        return next(spec for h, spec in self.submitted if h == handle)
