"""Errors of the engine operators."""

from __future__ import annotations

from ai_flow.model.errors import TaskExecutionError


class EngineJobError(TaskExecutionError):
    """The job failed on its engine (whatever its client's exit code said)."""
