"""What a task rule does to its task when it fires."""

from __future__ import annotations

from enum import Enum


class TaskAction(str, Enum):
    """START a new execution (no-op if one is running), STOP the running one, or RESTART it."""

    START = "START"
    STOP = "STOP"
    RESTART = "RESTART"

    def __str__(self) -> str:
        return self.value
