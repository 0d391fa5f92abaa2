"""TaskExecutor: how the AIFlow server runs task executions (the plug-in point)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

from ai_flow.model.status import TaskStatus
from ai_flow.runtime import TaskSpec


class TaskExecutor(ABC):
    """Starts, watches and stops task processes; every call is idempotent per spec.

    Task processes report their own statuses as events; an executor only reports on
    behalf of a process that can no longer do it (killed, died), using the same
    idempotency ids so no status is ever stored twice.
    """

    @abstractmethod
    def launch(self, spec: TaskSpec) -> int:
        """Start the task unless it is running or this try already ran; returns its pid."""

    @abstractmethod
    def stop(self, spec: TaskSpec, grace_seconds: float = 10.0) -> bool:
        """Stop the task (SIGTERM, then SIGKILL after the grace); True if it had to kill."""

    @abstractmethod
    def is_alive(self, spec: TaskSpec) -> bool:
        """True while a process runs the task."""

    @abstractmethod
    def find_dead(self, specs: Iterable[TaskSpec]) -> list[TaskSpec]:
        """Specs whose process is gone without having recorded a final status."""

    @abstractmethod
    def report_dead(self, spec: TaskSpec, status: TaskStatus = TaskStatus.FAILED) -> TaskStatus:
        """Report ``status`` for a dead task; returns the final status actually recorded."""

    def can_launch(self) -> bool:
        """False when launching one more task would exceed the executor's parallelism."""
        return True
