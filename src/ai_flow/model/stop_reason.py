"""Why a running task is asked to stop; operators see it as ``context.stop_reason``."""

from __future__ import annotations

from enum import Enum


class StopReason(str, Enum):
    """RULE: a STOP rule fired. RESTART: a RESTART rule replaces the run. USER: a user
    stopped the task. WORKFLOW_STOP: its workflow execution was stopped. TIMEOUT: it ran
    past its ``execution_timeout``. HEARTBEAT: the server heard no heartbeat in time."""

    RULE = "RULE"
    RESTART = "RESTART"
    USER = "USER"
    WORKFLOW_STOP = "WORKFLOW_STOP"
    TIMEOUT = "TIMEOUT"
    HEARTBEAT = "HEARTBEAT"

    def __str__(self) -> str:
        return self.value
