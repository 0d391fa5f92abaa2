"""TaskExecutor: how the AIFlow server gets task tries run (the plug-in point).

An executor works on opaque handles. `submit(spec)` starts the task runtime
(``python -m ai_flow.runtime``, the same program under every executor) for one try and
returns a handle; `poll` says which handles still run; `cancel` ends one; `adopt` lists
what still runs after the server restarted. Executors never report statuses: the
runtime does, and the server reports for tries whose process died.

Contract (tests/ai_flow/executor/test_executor_contract.py runs it on every backend):
submitting the same try twice yields handles that poll alive while either process runs,
and only one of them runs the task (the runtime's claim decides); a cancelled handle
polls dead once `cancel` returns.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from ai_flow.runtime import TaskSpec


@dataclass(frozen=True)
class HandleState:
    alive: bool
    #: How the process ended, when the executor knows (exit code, signal, pod reason).
    detail: str = ""


class TaskExecutor(ABC):
    @abstractmethod
    def submit(self, spec: TaskSpec) -> str:
        """Start the runtime for the spec's try; returns its handle."""

    @abstractmethod
    def cancel(self, handle: str, grace: float) -> None:
        """End the process: ask it to stop, kill it after `grace` seconds. Returns once
        it is gone."""

    @abstractmethod
    def poll(self, handles: Sequence[str]) -> dict[str, HandleState]:
        """The state of each handle."""

    def adopt(self) -> list[str]:
        """Handles of tries still running from before a restart of the server."""
        return []

    def capacity(self) -> int | None:
        """How many more tries may be submitted now; None means no limit."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release the executor's resources; running tries keep running."""
