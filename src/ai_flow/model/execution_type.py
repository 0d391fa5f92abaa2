"""Why a workflow or task execution was created."""

from __future__ import annotations

from enum import Enum


class ExecutionType(str, Enum):
    """MANUAL: started by a user. EVENT: started by a rule/trigger. PERIODIC: by a schedule."""

    MANUAL = "MANUAL"
    EVENT = "EVENT"
    PERIODIC = "PERIODIC"

    def __str__(self) -> str:
        return self.value
